/**
 * Table property changes. Properties commute with every other change, so these carry no
 * requirement: on a conflict they replay onto whatever the table became, and after an unknown
 * outcome the commit loop looks for the properties and replays them when they are not there.
 */
import type { TableChange } from '../commit/table-change.js';
import { FloeError } from '../../core/errors.js';
import { FORMAT_VERSION_PROPERTY } from '../spec/new-table-metadata.js';

/** Properties that describe the metadata itself rather than configure the table (Java refuses them too). */
const RESERVED = new Set([
  FORMAT_VERSION_PROPERTY,
  'uuid',
  'snapshot-count',
  'current-snapshot-id',
  'current-snapshot-summary',
  'current-snapshot-timestamp-ms',
  'current-schema',
  'default-partition-spec',
  'default-sort-order',
]);

export function setProperties(updates: Readonly<Record<string, string>>): TableChange {
  const entries = Object.entries(updates);
  for (const [key, value] of entries) {
    checkKey(key);
    if (typeof value !== 'string') {
      throw new FloeError('invalid-input', `Table property ${JSON.stringify(key)} must be set to a string, got ${typeof value}`, {
        context: { property: key },
      });
    }
  }
  return {
    description: `set ${entries.length} table propert${entries.length === 1 ? 'y' : 'ies'} (${entries.map(([key]) => key).join(', ')})`,
    async prepare() {
      return { requirements: [], updates: entries.length === 0 ? [] : [{ action: 'set-properties', updates: { ...updates } }] };
    },
    shownIn: (table) => entries.every(([key, value]) => table.metadata.properties[key] === value),
  };
}

export function removeProperties(keys: readonly string[]): TableChange {
  for (const key of keys) checkKey(key);
  return {
    description: `remove ${keys.length} table propert${keys.length === 1 ? 'y' : 'ies'} (${keys.join(', ')})`,
    async prepare(base) {
      // Only the ones present: removing an absent property changes nothing, and needs no new metadata file.
      const present = keys.filter((key) => key in base.metadata.properties);
      return { requirements: [], updates: present.length === 0 ? [] : [{ action: 'remove-properties', removals: present }] };
    },
    shownIn: (table) => keys.every((key) => !(key in table.metadata.properties)),
  };
}

function checkKey(key: string): void {
  if (typeof key !== 'string' || key.length === 0) throw new FloeError('invalid-input', 'A table property needs a non-empty name');
  if (RESERVED.has(key)) {
    throw new FloeError(
      'invalid-input',
      `Table property ${JSON.stringify(key)} is reserved: it describes the metadata and cannot be set${key === FORMAT_VERSION_PROPERTY ? ' (upgrade the format version instead)' : ''}`,
      {
        context: { property: key },
      },
    );
  }
}
