import type { Catalog, LoadedTable } from '../iceberg/catalog/catalog.js';
import { formatTableIdentifier } from '../iceberg/catalog/identifier.js';
import { commitChange } from '../iceberg/commit/commit.js';
import { FloeError } from '../core/errors.js';
import { downgradeRefused, upgradeFormatVersion } from '../iceberg/write/upgrade-format-version.js';
import { ONLINE_TABLE_PROPERTY } from './compaction/target.js';
import type { Registry, TableFormatVersion } from './registry.js';
import { TRAINING_SET_KEY_PROPERTY } from './training-set/request.js';

export interface TableUpgrade {
  readonly table: string;
  readonly from: number;
  readonly to: TableFormatVersion;
  /** False when the table already had that version (nothing was committed). */
  readonly upgraded: boolean;
}

/**
 * Moves a table Floe owns — a feature view's online table, or a training set Floe wrote — to a
 * later format version. Other tables belong to whoever writes them (a source's producer, who must
 * know its own readers), so they are refused; so is a downgrade.
 */
export async function upgradeTable(
  context: { readonly catalog: Catalog; readonly registry: Registry },
  table: LoadedTable,
  formatVersion: TableFormatVersion,
): Promise<TableUpgrade> {
  const name = formatTableIdentifier(table.identifier);
  const properties = table.metadata.properties;
  const online = [...context.registry.featureViews.values()].some(
    (view) => formatTableIdentifier(context.registry.onlineTableOf(view)) === name,
  );
  if (!online && properties[ONLINE_TABLE_PROPERTY] !== 'true' && properties[TRAINING_SET_KEY_PROPERTY] === undefined) {
    throw new FloeError(
      'invalid-input',
      `Table ${name} is not a table Floe owns (an online table of a feature view or a training set): upgrade it with the engine that writes it`,
      { context: { table: name } },
    );
  }
  const from = table.metadata.formatVersion;
  if (formatVersion < from) throw downgradeRefused(table, formatVersion);
  if (formatVersion === from) return { table: name, from, to: formatVersion, upgraded: false };
  await commitChange(context.catalog, table.identifier, upgradeFormatVersion(formatVersion), { loaded: table });
  return { table: name, from, to: formatVersion, upgraded: true };
}
