/**
 * What a Feast import has gathered so far: the notes for the user, the definitions written, and the
 * names imported by kind, so that later objects refer only to those.
 */
import type { ValueType } from '../definitions.js';
import { IDENTIFIER_PATTERN } from '../names.js';
import type { OnDemandFeatureType } from '../on-demand.js';
import { DefinitionsWriter } from './definitions-writer.js';
import type { FeastField } from './feast-registry-dump.js';

/** One thing left out of the import, or left for the user to finish, and why. */
export interface FeastImportNote {
  /** What it is in Feast: `feature view driver_hourly_stats`, `feature driver_hourly_stats:driver_config`, … */
  readonly object: string;
  readonly reason: string;
}

export class ImportState {
  readonly refusals: FeastImportNote[] = [];
  readonly todos: FeastImportNote[] = [];
  readonly writer = new DefinitionsWriter();
  readonly entityTypes = new Map<string, { joinKey: string; type: ValueType }>();
  readonly sources = new Set<string>();
  readonly pushSources = new Set<string>();
  readonly requestSources = new Map<string, readonly { name: string; type: OnDemandFeatureType }[]>();
  /** Imported views (plain and on-demand) and the features each kept. */
  readonly views = new Map<string, readonly string[]>();

  refuse(object: string, reason: string): void {
    this.refusals.push({ object, reason });
  }

  checkName(object: string, name: string): boolean {
    if (IDENTIFIER_PATTERN.test(name) && name.length <= 128) return true;
    this.refuse(
      object,
      `${JSON.stringify(name)} is not a Floe name (letters, digits and underscores, not starting with a digit, at most 128)`,
    );
    return false;
  }

  /** The features a Floe type is found for; each other one refused, named `view:feature`. */
  mappedFeatures<T extends string>(
    view: string,
    columns: readonly FeastField[],
    typeOf: (column: FeastField) => { type: T } | { problem: string },
  ) {
    const features: { name: string; type: T; description?: string }[] = [];
    for (const column of columns) {
      const mapped = typeOf(column);
      if (!IDENTIFIER_PATTERN.test(column.name))
        this.refuse(`feature ${view}:${column.name}`, 'the name is not a Floe name (letters, digits, underscores)');
      else if ('problem' in mapped) this.refuse(`feature ${view}:${column.name}`, mapped.problem);
      else features.push({ name: column.name, type: mapped.type, ...(column.description ? { description: column.description } : {}) });
    }
    return features;
  }
}

/** The record, or undefined when it has no entries, so the generated definition leaves the field out. */
export function nonEmpty(record: Readonly<Record<string, string>> | undefined): Readonly<Record<string, string>> | undefined {
  return record === undefined || Object.keys(record).length === 0 ? undefined : record;
}
