/**
 * What the runs page shows of a run beyond Temporal's list: the windows it covered, the rows it
 * wrote and why it failed, read from its input, its `progress` query while it runs and its result
 * or failure once closed. Pure: the values come as decoded JSON from workflows of any Floe version,
 * so every field is checked, and what is not there stays empty rather than guessed.
 */
import { printedInstant } from '../../contracts/instants.js';
import { isRecord } from '../../core/is-record.js';
import type { Redactor } from '../../core/redaction.js';

/** An event-time span a run covered, `[start, end)`; a backfill's range with the chunks it is cut into. */
export interface RunWindow {
  readonly start: string;
  readonly end: string;
  readonly chunks: number | null;
}

export interface RunDetails {
  /** The views its input or result names (a materialize started without the FloeFeatureView attribute). */
  readonly featureViews: readonly string[];
  readonly windows: readonly RunWindow[];
  /**
   * Rows written: a materialization's latest rows per entity, a backfill's over its chunks (so far,
   * while running), a compaction's rewritten rows, a consistency check's sampled entities, a
   * training set's rows. Null when not known (yet).
   */
  readonly rows: number | null;
  /** A failed, timed-out, terminated or cancelled run's reason, redacted, one paragraph. */
  readonly error: string | null;
}

/** What is known of how a run went: its result or failure when closed, its progress query's answer while running. */
export type RunOutcome =
  | { readonly kind: 'result'; readonly value: unknown }
  | { readonly kind: 'failure'; readonly message: string }
  | { readonly kind: 'progress'; readonly value: unknown }
  | { readonly kind: 'unknown' };

/** The longest error text shown; a longer one ends in `…`. */
export const MAX_ERROR_LENGTH = 1_000;

/** A run's details from its workflow type, its input (the first argument) and its outcome; a failure redacted by `redactor`. */
export function runDetails(redactor: Redactor, type: string, input: unknown, outcome: RunOutcome): RunDetails {
  const given = fromInput(type, input);
  const learned =
    outcome.kind === 'result' ? fromResult(type, outcome.value) : outcome.kind === 'progress' ? fromProgress(type, outcome.value) : {};
  return {
    featureViews: learned.featureViews ?? given.featureViews ?? [],
    windows: learned.windows ?? given.windows ?? [],
    rows: learned.rows ?? null,
    error: outcome.kind === 'failure' ? shownError(outcome.message, redactor) : null,
  };
}

/** A failure's message as the page shows it: no known secret, no stack trace, at most MAX_ERROR_LENGTH characters. */
export function shownError(message: string, redactor: Redactor): string {
  const withoutStack = message.split(/\n\s+at /)[0]!.trim();
  const text = redactor.redact(withoutStack === '' ? 'failed without a message' : withoutStack);
  return text.length > MAX_ERROR_LENGTH ? `${text.slice(0, MAX_ERROR_LENGTH - 1)}…` : text;
}

type Known = { featureViews?: readonly string[]; windows?: readonly RunWindow[]; rows?: number };

function fromInput(type: string, input: unknown): Known {
  if (!isRecord(input)) return {};
  switch (type) {
    case 'materialize':
      return { ...views([input.featureView]), ...windows(input.start, input.end, null) };
    case 'backfill':
      return { ...views(input.featureViews), ...windows(input.start, input.end, null) };
    case 'compact':
    case 'consistency':
      return views([input.featureView]);
    case 'trainingSet':
      return isRecord(input.entities) ? windows(input.entities.start, input.entities.end, null) : {};
    default:
      return {};
  }
}

function fromResult(type: string, result: unknown): Known {
  if (!isRecord(result)) return {};
  switch (type) {
    case 'materialize':
      return { ...views([result.featureView]), ...windows(result.start, result.end, null), ...rows(result.rows) };
    case 'backfill':
      return { ...views(result.featureViews), ...windows(result.start, result.end, count(result.chunks)), ...rows(result.rows) };
    case 'compact':
      return { ...views([result.featureView]), ...rows(result.rowsAfter) };
    case 'consistency':
      return { ...views([result.featureView]), ...rows(result.sampled) };
    case 'trainingSet':
      return rows(result.rows);
    default:
      return {};
  }
}

function fromProgress(type: string, progress: unknown): Known {
  if (!isRecord(progress)) return {};
  switch (type) {
    case 'backfill':
      return {
        ...views(progress.featureViews),
        ...windows(progress.start, progress.end, count(progress.chunksTotal)),
        ...rows(progress.rows),
      };
    case 'compact':
      return isRecord(progress.rewrite) ? rows(progress.rewrite.rowsAfter) : {};
    case 'trainingSet':
      return rows(progress.rows);
    default:
      return {};
  }
}

function views(names: unknown): Known {
  if (!Array.isArray(names)) return {};
  const named = names.filter((name): name is string => typeof name === 'string' && name !== '');
  return named.length === 0 ? {} : { featureViews: named };
}

function windows(start: unknown, end: unknown, chunks: number | null): Known {
  return typeof start === 'string' && typeof end === 'string'
    ? { windows: [{ start: printedInstant(start), end: printedInstant(end), chunks }] }
    : {};
}

function rows(value: unknown): Known {
  const counted = count(value);
  return counted === null ? {} : { rows: counted };
}

function count(value: unknown): number | null {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0 ? value : null;
}
