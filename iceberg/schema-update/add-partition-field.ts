/**
 * Partition spec evolution: a new default spec with one more field. Existing files keep the spec
 * they were written with; new files are partitioned by the new one. Committed as `add-spec` +
 * `set-default-spec` under `assert-default-spec-id` and `assert-last-assigned-partition-id`, and
 * recomputed from the table's default spec on every attempt.
 */
import type { LoadedTable } from '../catalog/catalog.js';
import { formatTableIdentifier } from '../catalog/identifier.js';
import { LAST_ADDED } from '../table-updates/apply-updates.js';
import type { PreparedChange, TableChange } from '../commit/table-change.js';
import { FloeError } from '../../core/errors.js';
import { currentSchema, defaultSpec } from '../spec/metadata.js';
import type { PartitionField } from '../spec/partition.js';
import type { NestedField } from '../spec/types.js';
import { parseTransform } from '../spec/transforms.js';
import type { Transform } from '../spec/transforms.js';

export interface AddPartitionFieldOptions {
  /** The partition field's name; Java's and pyiceberg's default (`id_bucket_16`, `ts_day`, …) when absent. */
  readonly name?: string;
}

export function addPartitionField(column: string, transformText: string, options: AddPartitionFieldOptions = {}): TableChange {
  const transform = parseTransform(transformText);
  return {
    description: `partition by ${transform.name}(${column})`,
    async prepare(base: LoadedTable): Promise<PreparedChange> {
      const { metadata } = base;
      const table = formatTableIdentifier(base.identifier);
      const schema = currentSchema(metadata);
      const source = findColumn(schema.fields, column);
      const context = { table, column };
      if (!source)
        throw new FloeError(
          'invalid-input',
          `Cannot partition table ${table} by column ${JSON.stringify(column)}: no such column; its columns are ${schema.fields.map((f) => f.name).join(', ')}`,
          { context },
        );
      if (typeof source.field.type !== 'string' || !transform.canTransform(source.field.type)) {
        const type = typeof source.field.type === 'string' ? source.field.type : source.field.type.type;
        throw new FloeError(
          'invalid-input',
          `Cannot partition table ${table} by ${transform.name}(${column}): the transform does not apply to a ${type} column`,
          { context },
        );
      }
      const spec = defaultSpec(metadata);
      if (spec.fields.some((field) => field.sourceId === source.field.id && field.transform === transform.name)) {
        throw new FloeError('invalid-input', `Table ${table} is already partitioned by ${transform.name}(${column})`, { context });
      }
      const name = options.name ?? defaultName(source.path, transform);
      if (spec.fields.some((field) => field.name === name)) {
        throw new FloeError(
          'invalid-input',
          `Table ${table}'s partition spec already has a field named ${JSON.stringify(name)}; choose another name`,
          { context },
        );
      }
      // Like Java: a partition name may equal a column name only when it is that column's identity.
      const clash = schema.fields.find((field) => field.name === name);
      if (clash && !(transform.kind === 'identity' && clash.id === source.field.id)) {
        throw new FloeError(
          'invalid-input',
          `Partition field name ${JSON.stringify(name)} is the name of a column of table ${table}; choose another name`,
          { context },
        );
      }
      const field: PartitionField = { sourceId: source.field.id, fieldId: metadata.lastPartitionId + 1, name, transform: transform.name };
      return {
        requirements: [
          { type: 'assert-default-spec-id', defaultSpecId: spec.specId },
          { type: 'assert-last-assigned-partition-id', lastAssignedPartitionId: metadata.lastPartitionId },
        ],
        updates: [
          {
            action: 'add-spec',
            spec: {
              specId: Math.max(...metadata.partitionSpecs.map((candidate) => candidate.specId)) + 1,
              fields: [...spec.fields, field],
            },
          },
          { action: 'set-default-spec', specId: LAST_ADDED },
        ],
      };
    },
  };
}

function findColumn(fields: readonly NestedField[], name: string): { field: NestedField; path: string } | undefined {
  const exact = fields.find((field) => field.name === name);
  if (exact) return { field: exact, path: name };
  for (const field of fields) {
    if (typeof field.type === 'string' || field.type.type !== 'struct' || !name.startsWith(`${field.name}.`)) continue;
    const inner = findColumn(field.type.fields, name.slice(field.name.length + 1));
    if (inner) return { field: inner.field, path: `${field.name}.${inner.path}` };
  }
  return undefined;
}

function defaultName(column: string, transform: Transform): string {
  switch (transform.kind) {
    case 'identity':
      return column;
    case 'bucket':
      return `${column}_bucket_${transform.parameter}`;
    case 'truncate':
      return `${column}_trunc_${transform.parameter}`;
    case 'void':
      return `${column}_null`;
    default:
      return `${column}_${transform.kind}`;
  }
}
