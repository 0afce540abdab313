import { snapshotForRef } from '../../iceberg/spec/metadata.js';
import type { TableMetadata } from '../../iceberg/spec/metadata.js';
import { MAIN_BRANCH } from '../../iceberg/spec/snapshot.js';
import { heldWatermarkOf } from './held-watermark.js';

/** How current a view's online table is, from its metadata alone (no data read). */
export interface ViewFreshness {
  readonly featureView: string;
  /** The committed watermark (epoch ms; see watermarkOf), null before the first materialization. */
  readonly watermarkMs: number | null;
  /** When the main branch's head snapshot was committed (epoch ms), whatever wrote it; null while the table has no snapshot. */
  readonly lastCommitMs: number | null;
}

export function freshnessOf(featureView: string, metadata: TableMetadata | null): ViewFreshness {
  if (metadata === null) return { featureView, watermarkMs: null, lastCommitMs: null };
  return {
    featureView,
    watermarkMs: heldWatermarkOf(metadata)?.millis ?? null,
    lastCommitMs: snapshotForRef(metadata, MAIN_BRANCH)?.timestampMs ?? null,
  };
}
