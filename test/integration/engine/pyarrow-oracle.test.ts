// services: python
import { execFile } from 'node:child_process';
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { writeParquet, writePositionDeletes } from '../../../engine/write/parquet-writer.js';
import type { ColumnStats } from '../../../engine/write/parquet-stats.js';
import type { Schema } from '../../../iceberg/spec/schema.js';
import type { IcebergType, PrimitiveValue } from '../../../iceberg/spec/types.js';
import { withConnection } from '../../support/engine/duckdb.js';
import { pythonOracle } from '../../support/services.js';

/**
 * Files Floe writes, read by the Python reference stack: pyarrow must see the same Iceberg field
 * ids at every level, and pyiceberg's own footer-to-metrics code
 * (`data_file_statistics_from_parquet_metadata`, metrics mode `full`) must produce the same
 * counts and bounds Floe reads back. The oracle venv (the python service) has both.
 */

const ORACLE = String.raw`
import json, struct, sys, uuid, decimal
import pyarrow.parquet as pq
from pyiceberg.schema import Schema
from pyiceberg.conversions import from_bytes
from pyiceberg.io.pyarrow import compute_statistics_plan, parquet_path_to_id_mapping, data_file_statistics_from_parquet_metadata

request = json.load(sys.stdin)
schema = Schema.model_validate(request["schema"]) if request["schema"] else None
out = {}
for path in request["files"]:
    arrow = pq.read_schema(path)
    ids = []
    def walk(field, prefix):
        meta = field.metadata or {}
        ids.append([prefix + field.name, int(meta[b"PARQUET:field_id"]) if b"PARQUET:field_id" in meta else None])
        t = field.type
        if hasattr(t, "key_field"):
            walk(t.key_field, prefix + field.name + ".")
            walk(t.item_field, prefix + field.name + ".")
        elif hasattr(t, "value_field"):
            walk(t.value_field, prefix + field.name + ".")
        elif t.num_fields > 0:
            for i in range(t.num_fields):
                walk(t.field(i), prefix + field.name + ".")
    for field in arrow:
        walk(field, "")
    metadata = pq.ParquetFile(path).metadata
    out[path] = {"fieldIds": ids, "records": metadata.num_rows}
    if schema is None:
        continue
    stats = data_file_statistics_from_parquet_metadata(
        metadata,
        compute_statistics_plan(schema, {"write.metadata.metrics.default": "full"}),
        parquet_path_to_id_mapping(schema),
    )
    def canonical(field_id, raw):
        field_type = schema.find_type(field_id)
        value = from_bytes(field_type, raw)
        if str(field_type) == "uuid" and isinstance(value, (bytes, bytearray)):
            value = uuid.UUID(bytes=bytes(value))
        if isinstance(value, bool):
            return "bool:" + str(value).lower()
        if isinstance(value, float):
            return "float:" + struct.pack(">d", value).hex()
        if isinstance(value, (bytes, bytearray)):
            return "bytes:" + bytes(value).hex()
        if isinstance(value, uuid.UUID):
            return "text:" + str(value)
        if isinstance(value, decimal.Decimal):
            return "int:" + str(int(value.scaleb(-value.as_tuple().exponent)))
        if isinstance(value, str):
            return "text:" + value
        return "int:" + str(value)
    serialized = stats.to_serialized_dict()
    out[path].update({
        "valueCounts": {str(k): v for k, v in stats.value_counts.items()},
        "nullCounts": {str(k): v for k, v in stats.null_value_counts.items()},
        "nanCounts": {str(k): v for k, v in stats.nan_value_counts.items()},
        "lower": {str(k): canonical(k, v) for k, v in serialized["lower_bounds"].items()},
        "upper": {str(k): canonical(k, v) for k, v in serialized["upper_bounds"].items()},
    })
print(json.dumps(out))
`;

interface OracleFile {
  fieldIds: [string, number | null][];
  records: number;
  valueCounts: Record<string, number>;
  nullCounts: Record<string, number>;
  nanCounts: Record<string, number>;
  lower: Record<string, string>;
  upper: Record<string, string>;
}

async function oracle(schema: Schema | null, files: string[]): Promise<Record<string, OracleFile>> {
  const child = execFile(pythonOracle().python, ['-c', ORACLE], { maxBuffer: 16 * 1024 * 1024 });
  const output = new Promise<string>((resolve, reject) => {
    let stdout = '';
    let stderr = '';
    child.stdout?.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve(stdout) : reject(new Error(`oracle exited ${code}: ${stderr}`))));
  });
  child.stdin?.end(JSON.stringify({ schema: schema && icebergSchemaJson(schema), files }));
  return JSON.parse(await output) as Record<string, OracleFile>;
}

/** The spec's JSON form of a schema ("Appendix C"), enough for pyiceberg to parse it. */
function icebergSchemaJson(schema: Schema): unknown {
  const typeJson = (type: IcebergType): unknown => {
    if (typeof type === 'string') return type.replace(/^decimal\((\d+), (\d+)\)$/, 'decimal($1, $2)');
    if (type.type === 'struct')
      return {
        type: 'struct',
        fields: type.fields.map((field) => ({ id: field.id, name: field.name, required: field.required, type: typeJson(field.type) })),
      };
    if (type.type === 'list')
      return { type: 'list', 'element-id': type.elementId, element: typeJson(type.element), 'element-required': type.elementRequired };
    return {
      type: 'map',
      'key-id': type.keyId,
      key: typeJson(type.key),
      'value-id': type.valueId,
      value: typeJson(type.value),
      'value-required': type.valueRequired,
    };
  };
  return {
    type: 'struct',
    'schema-id': schema.schemaId,
    fields: schema.fields.map((field) => ({ id: field.id, name: field.name, required: field.required, type: typeJson(field.type) })),
  };
}

function canonical(value: PrimitiveValue): string {
  if (typeof value === 'boolean') return `bool:${value}`;
  if (value instanceof Uint8Array) return `bytes:${Buffer.from(value).toString('hex')}`;
  if (typeof value === 'string') return `text:${value}`;
  if (typeof value === 'bigint') return `int:${value}`;
  return `number:${value}`;
}

/** Floe's value for a float/double field in the oracle's exact form (big-endian IEEE double bits). */
function canonicalFor(type: IcebergType, value: PrimitiveValue): string {
  if ((type === 'float' || type === 'double') && typeof value === 'number') {
    const view = new DataView(new ArrayBuffer(8));
    view.setFloat64(0, value);
    return `float:${Buffer.from(view.buffer).toString('hex')}`;
  }
  return typeof value === 'number' ? `int:${value}` : canonical(value);
}

const everyType: Schema = {
  schemaId: 0,
  identifierFieldIds: [],
  fields: [
    { id: 1, name: 'b', required: false, type: 'boolean' },
    { id: 2, name: 'i', required: true, type: 'int' },
    { id: 3, name: 'l', required: false, type: 'long' },
    { id: 4, name: 'f', required: false, type: 'float' },
    { id: 5, name: 'd', required: false, type: 'double' },
    { id: 6, name: 'dt', required: false, type: 'date' },
    { id: 7, name: 't', required: false, type: 'time' },
    { id: 8, name: 'ts', required: false, type: 'timestamp' },
    { id: 9, name: 'tstz', required: false, type: 'timestamptz' },
    { id: 10, name: 's', required: false, type: 'string' },
    { id: 11, name: 'u', required: false, type: 'uuid' },
    { id: 12, name: 'bin', required: false, type: 'binary' },
    { id: 13, name: 'd9', required: false, type: 'decimal(9, 2)' },
    { id: 14, name: 'd38', required: false, type: 'decimal(38, 6)' },
    {
      id: 15,
      name: 'st',
      required: false,
      type: {
        type: 'struct',
        fields: [
          { id: 18, name: 'x', required: false, type: 'long' },
          { id: 19, name: 'y', required: false, type: 'string' },
        ],
      },
    },
    { id: 16, name: 'tags', required: false, type: { type: 'list', elementId: 20, element: 'string', elementRequired: false } },
    {
      id: 17,
      name: 'm',
      required: false,
      type: { type: 'map', keyId: 21, key: 'string', valueId: 22, value: 'double', valueRequired: false },
    },
  ],
};

const everyTypeQuery = `
  SELECT i % 3 = 0 AS b, (i - 500)::INTEGER AS i, CASE WHEN i % 7 = 0 THEN NULL ELSE i * 1000003 - 40000000 END AS l,
         (i / 3.0)::FLOAT AS f, CASE WHEN i % 11 = 0 THEN NULL ELSE i * -0.25 END AS d,
         DATE '1969-12-01' + i::INTEGER AS dt, TIME '00:00:00' + to_microseconds(i * 1000001) AS t,
         make_timestamp(i * 86400000001 - 1000000000000000) AS ts, make_timestamp(i * 3600000000)::TIMESTAMPTZ AS tstz,
         CASE WHEN i % 5 = 0 THEN NULL ELSE 'str-' || lpad(i::VARCHAR, 4, '0') || ' ü' END AS s,
         ('00000000-0000-4000-8000-' || lpad(i::VARCHAR, 12, '0'))::UUID AS u, from_hex(lpad(to_hex(i * 7), 6, '0')) AS bin,
         (i * 1.25)::DECIMAL(9, 2) AS d9, (i * -123456789.123456)::DECIMAL(38, 6) AS d38,
         CASE WHEN i % 4 = 0 THEN NULL ELSE {'x': i, 'y': 'y' || i} END AS st,
         ['a' || i, NULL] AS tags, MAP {'k' || (i % 2): i / 2} AS m
  FROM range(1000) t(i)`;

describe('Parquet files Floe writes, read by pyarrow and pyiceberg', () => {
  it('carry the same Iceberg field ids at every level, as pyarrow reads them', async () => {
    await withConnection(async (connection, dir) => {
      const files = await writeParquet(connection, { query: everyTypeQuery, schema: everyType, directory: dir });
      const deletes = await writePositionDeletes(connection, {
        query: `SELECT 's3://b/t/x.parquet' AS file_path, i AS pos FROM range(3) t(i)`,
        directory: dir,
      });
      const result = await oracle(null, [files[0]!.localPath, deletes[0]!.localPath]);
      assert.deepEqual(result[files[0]!.localPath]!.fieldIds, [
        ['b', 1],
        ['i', 2],
        ['l', 3],
        ['f', 4],
        ['d', 5],
        ['dt', 6],
        ['t', 7],
        ['ts', 8],
        ['tstz', 9],
        ['s', 10],
        ['u', 11],
        ['bin', 12],
        ['d9', 13],
        ['d38', 14],
        ['st', 15],
        ['st.x', 18],
        ['st.y', 19],
        ['tags', 16],
        ['tags.element', 20],
        ['m', 17],
        ['m.key', 21],
        ['m.value', 22],
      ]);
      assert.deepEqual(result[deletes[0]!.localPath]!.fieldIds, [
        ['file_path', 2147483546],
        ['pos', 2147483545],
      ]);
    });
  });

  it('have the metrics pyiceberg computes from the same footers', async () => {
    await withConnection(async (connection, dir) => {
      const files = await writeParquet(connection, { query: everyTypeQuery, schema: everyType, directory: dir, rowGroupSize: 256 });
      const [written] = files;
      const expected = (await oracle(everyType, [written!.localPath]))[written!.localPath]!;
      assert.equal(written!.recordCount, expected.records);
      const types = new Map<number, IcebergType>();
      const visit = (fields: Schema['fields']): void => {
        for (const field of fields) {
          types.set(field.id, field.type);
          if (typeof field.type !== 'string' && field.type.type === 'struct') visit(field.type.fields);
        }
      };
      visit(everyType.fields);
      const ours = new Map<number, ColumnStats>(written!.columnStats.map((stats) => [stats.fieldId, stats]));
      // Every field pyiceberg reports on, Floe reports the same on (pyiceberg skips lists and maps entirely).
      for (const [id, count] of Object.entries(expected.valueCounts)) {
        assert.equal(ours.get(Number(id))?.valueCount, count, `value count of field ${id}`);
        assert.equal(ours.get(Number(id))?.nullCount, expected.nullCounts[id], `null count of field ${id}`);
      }
      for (const [side, bounds] of [
        ['min', expected.lower],
        ['max', expected.upper],
      ] as const) {
        for (const [id, value] of Object.entries(bounds)) {
          const mine = ours.get(Number(id))?.[side];
          assert.notEqual(mine, undefined, `${side} of field ${id}`);
          assert.equal(canonicalFor(types.get(Number(id))!, mine!), value, `${side} of field ${id}`);
        }
      }
      // Where they differ, it is by design and recorded here: pyiceberg keeps only counts for any
      // nested column, struct fields included; Floe, like Java's writer (ParquetMetrics), keeps
      // bounds for struct fields and drops them only inside lists and maps. The spec allows both.
      const extraBounds = written!.columnStats
        .filter((stats) => stats.min !== undefined && !(String(stats.fieldId) in expected.lower))
        .map((stats) => stats.fieldId);
      assert.deepEqual(extraBounds, [18, 19]);
      assert.ok(expected.valueCounts['20'] !== undefined && ours.get(20)?.min === undefined, 'list elements: counts, no bounds, in both');
    });
  });
});
