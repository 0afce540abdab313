/**
 * Moving a table to a later format version, as Java's `updateProperties().set("format-version", …)`
 * does: one `upgrade-format-version` update, nothing rewritten. Upgraded to v3, the table's
 * `next-row-id` starts at 0 and its earlier snapshots keep no row ids (spec: "Row Lineage for
 * Upgraded Tables"); the next commit numbers every live row. A downgrade is refused: the spec has
 * none, and readers of the older version could not read what the later one wrote.
 */
import type { LoadedTable } from '../catalog/catalog.js';
import { formatTableIdentifier } from '../catalog/identifier.js';
import type { PreparedChange, TableChange } from '../commit/table-change.js';
import { FloeError } from '../../core/errors.js';
import type { FormatVersion } from '../spec/metadata.js';

export function upgradeFormatVersion(formatVersion: FormatVersion): TableChange {
  return {
    description: `upgrade to format version ${formatVersion}`,
    async prepare(base: LoadedTable): Promise<PreparedChange> {
      const current = base.metadata.formatVersion;
      if (formatVersion < current) throw downgradeRefused(base, formatVersion);
      return {
        requirements: [{ type: 'assert-table-uuid', uuid: base.metadata.tableUuid }],
        updates: current === formatVersion ? [] : [{ action: 'upgrade-format-version', formatVersion }],
      };
    },
  };
}

export function downgradeRefused(table: LoadedTable, formatVersion: FormatVersion): FloeError {
  const name = formatTableIdentifier(table.identifier);
  return new FloeError(
    'invalid-input',
    `Table ${name} is format version ${table.metadata.formatVersion}: it cannot go back to version ${formatVersion} (Iceberg has no downgrade)`,
    { context: { table: name, formatVersion: table.metadata.formatVersion }, retryable: false },
  );
}
