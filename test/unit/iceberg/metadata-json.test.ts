import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { parse as parseLossless } from 'lossless-json';
import { describe, it } from 'node:test';
import { FloeError } from '../../../core/errors.js';
import { parseTableMetadata, serializeTableMetadata } from '../../../iceberg/spec/metadata-json.js';
import type { TableMetadata } from '../../../iceberg/spec/metadata.js';
import { currentSchema } from '../../../iceberg/spec/metadata.js';

const FIXTURES = new URL('../../fixtures/metadata/', import.meta.url);
const CASES = ['v1-appended', 'v1-legacy', 'v2-empty', 'v2-evolved', 'v3-row-lineage', 'v3-java-rest'] as const;

function fixtureText(name: string): string {
  return readFileSync(new URL(`${name}.metadata.json`, FIXTURES), 'utf8');
}

function load(name: string): TableMetadata {
  return parseTableMetadata(fixtureText(name), `fixtures/${name}.metadata.json`);
}

/** Every integer after `"key":` in raw text, read with a regex: an oracle independent of the JSON parser. */
function rawIntegers(text: string, key: string): bigint[] {
  return [...text.matchAll(new RegExp(`"${key}"\\s*:\\s*(-?\\d+)`, 'g'))].map((match) => BigInt(match[1] as string));
}

function expectFloeError(run: () => unknown, kind: FloeError['kind'], context: Record<string, string>, message?: RegExp): void {
  assert.throws(run, (error: unknown) => {
    assert.ok(FloeError.is(error), `expected a FloeError, got ${String(error)}`);
    assert.equal(error.kind, kind, error.message);
    for (const [key, value] of Object.entries(context)) assert.equal(error.context[key], value, `context.${key} in: ${error.message}`);
    if (message) assert.match(error.message, message);
    return true;
  });
}

describe('metadata JSON round trip', () => {
  for (const name of CASES) {
    it(`${name}: parse → serialize → parse gives the same metadata`, () => {
      const first = load(name);
      const written = serializeTableMetadata(first);
      const second = parseTableMetadata(written, 'rewritten');
      assert.deepEqual(second, first);
      // Writing is stable: a second serialization is byte-identical.
      assert.equal(serializeTableMetadata(second), written);
    });

    it(`${name}: every snapshot id survives exactly, read and written`, () => {
      const text = fixtureText(name);
      const metadata = load(name);
      const expected = rawIntegers(text, 'snapshot-id').filter((id) => id !== -1n);
      const parsedIds = new Set<bigint>([
        ...metadata.snapshots.flatMap((s) => [s.snapshotId, ...(s.parentSnapshotId === null ? [] : [s.parentSnapshotId])]),
        ...metadata.snapshotLog.map((entry) => entry.snapshotId),
        ...Object.values(metadata.refs).map((ref) => ref.snapshotId),
      ]);
      for (const id of expected.filter((id) => !isInStatistics(text, id)))
        assert.ok(parsedIds.has(id), `snapshot id ${id} lost in parsing`);
      const written = serializeTableMetadata(metadata);
      for (const id of expected) assert.ok(written.includes(id.toString()), `snapshot id ${id} lost in writing`);
      const current = rawIntegers(text, 'current-snapshot-id')[0];
      assert.equal(metadata.currentSnapshotId, current === undefined || current === -1n ? null : current);
    });
  }
});

function isInStatistics(text: string, id: bigint): boolean {
  const statistics = text.indexOf('"statistics"');
  return statistics >= 0 && text.indexOf(id.toString(), statistics) >= 0 && !text.slice(0, statistics).includes(id.toString());
}

describe('metadata JSON: v1', () => {
  it('reads the oldest v1 shape: singular schema and spec, implied field ids, inline manifests, implied main ref', () => {
    const metadata = load('v1-legacy');
    assert.equal(metadata.formatVersion, 1);
    assert.equal(metadata.lastSequenceNumber, 0);
    assert.equal(metadata.currentSchemaId, 0);
    assert.equal(currentSchema(metadata).fields[2]?.type, 'decimal(9, 2)');
    assert.deepEqual(metadata.partitionSpecs, [
      {
        specId: 0,
        fields: [
          { sourceId: 2, fieldId: 1000, name: 'ts_day', transform: 'day' },
          { sourceId: 1, fieldId: 1001, name: 'event_bucket', transform: 'bucket[8]' },
        ],
      },
    ]);
    assert.equal(metadata.lastPartitionId, 1001);
    assert.deepEqual(metadata.sortOrders, [{ orderId: 0, fields: [] }]);
    assert.equal(metadata.currentSnapshotId, 9223372036854775807n);
    assert.deepEqual(metadata.refs, { main: { snapshotId: 9223372036854775807n, type: 'branch' } });
    const [first, second] = metadata.snapshots;
    assert.equal(first?.manifestList, null);
    assert.deepEqual(first?.manifests, ['s3://bucket/legacy/events/metadata/a1b2-m0.avro']);
    assert.equal(second?.sequenceNumber, 0);
    assert.equal(second?.summary.operation, 'append');
  });

  it('writes v1 with the singular fields old readers need and no v2-only fields', () => {
    const written = JSON.parse(serializeTableMetadata(load('v1-legacy'))) as Record<string, unknown>;
    assert.equal(written['format-version'], 1);
    assert.ok(!('last-sequence-number' in written));
    assert.deepEqual((written['schema'] as { fields: unknown[] }).fields.length, 3);
    assert.deepEqual(written['partition-spec'], [
      { name: 'ts_day', transform: 'day', 'source-id': 2, 'field-id': 1000 },
      { name: 'event_bucket', transform: 'bucket[8]', 'source-id': 1, 'field-id': 1001 },
    ]);
    for (const snapshot of written['snapshots'] as Record<string, unknown>[]) assert.ok(!('sequence-number' in snapshot));
  });

  it('reads pyiceberg v1 output: both shapes present, no sequence numbers', () => {
    const metadata = load('v1-appended');
    assert.equal(metadata.formatVersion, 1);
    assert.equal(metadata.snapshots.length, 2);
    assert.ok(metadata.snapshots.every((snapshot) => snapshot.sequenceNumber === 0));
    assert.equal(metadata.metadataLog.length, 2);
  });
});

describe('metadata JSON: v2', () => {
  it('reads nested types, normalized decimal and fixed, and identifier fields', () => {
    const metadata = load('v2-evolved');
    assert.equal(metadata.schemas.length, 2);
    const schema = currentSchema(metadata);
    assert.deepEqual(schema.identifierFieldIds, [1]);
    const byName = new Map(schema.fields.map((field) => [field.name, field]));
    assert.equal(byName.get('price')?.type, 'decimal(10, 2)');
    assert.equal(byName.get('price')?.doc, 'price in EUR');
    assert.equal(byName.get('hash')?.type, 'fixed[16]');
    // pyiceberg gives fresh ids breadth-first at create: top-level columns 1–8, then nested ones.
    assert.deepEqual(byName.get('tags')?.type, { type: 'list', elementId: 9, element: 'string', elementRequired: false });
    assert.deepEqual(byName.get('attrs')?.type, {
      type: 'map',
      keyId: 10,
      key: 'string',
      valueId: 11,
      value: 'double',
      valueRequired: true,
    });
    assert.deepEqual(byName.get('point')?.type, {
      type: 'struct',
      fields: [
        { id: 12, name: 'x', required: true, type: 'double' },
        { id: 13, name: 'y', required: true, type: 'double' },
      ],
    });
    assert.equal(byName.get('note')?.id, 14);
    assert.equal(metadata.lastColumnId, 14);
    assert.ok(byName.has('note'), 'the column added by the schema change');
    assert.equal(metadata.lastSequenceNumber, 2);
    assert.deepEqual(
      metadata.snapshots.map((snapshot) => snapshot.sequenceNumber),
      [1, 2],
    );
  });

  it('reads a table without snapshots: no current snapshot, no refs', () => {
    const metadata = load('v2-empty');
    assert.equal(metadata.currentSnapshotId, null);
    assert.deepEqual(metadata.refs, {});
    assert.deepEqual(metadata.partitionSpecs[0]?.fields[0], { sourceId: 1, fieldId: 1000, name: 'id_bucket', transform: 'bucket[16]' });
  });

  it('treats current-snapshot-id -1 as no snapshot', () => {
    const text = fixtureText('v2-empty').replace(/"current-snapshot-id":\s*null/, '"current-snapshot-id": -1');
    assert.equal(parseTableMetadata(text, 'minus-one').currentSnapshotId, null);
  });
});

describe('metadata JSON: v3', () => {
  it('reads row lineage as exact bigints', () => {
    const metadata = load('v3-row-lineage');
    assert.equal(metadata.nextRowId, 150n);
    assert.deepEqual(
      metadata.snapshots.map((snapshot) => [snapshot.firstRowId, snapshot.addedRows]),
      [
        [0n, 100n],
        [100n, 50n],
      ],
    );
    const clicks = currentSchema(metadata).fields.find((field) => field.name === 'clicks');
    assert.equal(clicks?.initialDefault, 0);
    const big = currentSchema(metadata).fields.find((field) => field.name === 'big');
    assert.equal(big?.initialDefault, 9007199254740993n);
    assert.equal(currentSchema(metadata).fields.find((field) => field.name === 'placeholder')?.type, 'unknown');
    assert.deepEqual(metadata.refs['v1.0'], { snapshotId: 6055464433224185121n, type: 'tag', maxRefAgeMs: 86400000 });
  });

  it('keeps fields it does not model and writes them back unchanged', () => {
    const metadata = load('v3-row-lineage');
    assert.deepEqual(Object.keys(metadata.extra).sort(), ['encryption-keys', 'statistics', 'x-future-field']);
    const original = JSON.parse(fixtureText('v3-row-lineage')) as Record<string, unknown>;
    const written = serializeTableMetadata(metadata);
    const rewritten = JSON.parse(written) as Record<string, unknown>;
    for (const key of ['encryption-keys', 'x-future-field']) assert.deepEqual(rewritten[key], original[key]);
    // The statistics blob's snapshot id is beyond 2^53: compare the digits, not JSON.parse's double.
    assert.match(written, /"blob-metadata":\[\{"type":"apache-datasketches-theta-v1","snapshot-id":8744736658442914487,/);
    assert.match(written, /"initial-default":9007199254740993/);
    assert.match(written, /"next-row-id":150/);
  });

  it("keeps each field's initial-default and write-default, apart, when it writes the schema back", () => {
    const object = JSON.parse(fixtureText('v3-row-lineage')) as { schemas: { fields: Record<string, unknown>[] }[] };
    const clicks = object.schemas.at(-1)!.fields.find((field) => field['name'] === 'clicks')!;
    clicks['write-default'] = 7;
    const metadata = parseTableMetadata(JSON.stringify(object), 'm.json');
    const field = currentSchema(metadata).fields.find((candidate) => candidate.name === 'clicks');
    assert.equal(field?.initialDefault, 0);
    assert.equal(field?.writeDefault, 7);
    const rewritten = JSON.parse(serializeTableMetadata(metadata)) as typeof object;
    const back = rewritten.schemas.at(-1)!.fields.find((candidate) => candidate['name'] === 'clicks')!;
    assert.equal(back['initial-default'], 0);
    assert.equal(back['write-default'], 7);
  });
});

describe('metadata JSON: what Java writes', () => {
  it('Floe writes back the same JSON document Iceberg Java 1.10.1 wrote (order aside)', () => {
    const text = fixtureText('v3-java-rest');
    const written = serializeTableMetadata(load('v3-java-rest'));
    // Lossless on both sides, so 63-bit ids compare as their digits.
    assert.deepEqual(parseLossless(written), parseLossless(text));
  });

  it('reads Java’s v3 row lineage, tag and the idempotency key in a summary', () => {
    const metadata = load('v3-java-rest');
    assert.equal(metadata.formatVersion, 3);
    assert.equal(metadata.nextRowId, 20n);
    assert.deepEqual(
      metadata.snapshots.map((snapshot) => [snapshot.firstRowId, snapshot.addedRows]),
      [
        [0n, 10n],
        [10n, 10n],
      ],
    );
    assert.equal(metadata.refs['first']?.type, 'tag');
    assert.equal(metadata.snapshots[1]?.summary['floe.idempotency-key'], 'materialize/b');
  });
});

describe('metadata JSON: bad input', () => {
  const valid = (): Record<string, unknown> => JSON.parse(fixtureText('v2-empty')) as Record<string, unknown>;
  const parseObject = (object: unknown): TableMetadata =>
    parseTableMetadata(JSON.stringify(object), 's3://b/t/metadata/00001-x.metadata.json');

  it('truncated JSON is corrupt and names the file', () => {
    const text = fixtureText('v2-evolved');
    expectFloeError(
      () => parseTableMetadata(text.slice(0, text.length / 2), 'file:///wh/t/metadata/00003-a.metadata.json'),
      'corrupt',
      { location: 'file:///wh/t/metadata/00003-a.metadata.json' },
      /not valid JSON/,
    );
  });

  it('a document that is not an object is corrupt', () => {
    expectFloeError(() => parseTableMetadata('[1, 2]', 'm.json'), 'corrupt', { location: 'm.json' }, /should be an object/);
  });

  it('a wrongly typed field is corrupt and names the field', () => {
    expectFloeError(
      () => parseObject({ ...valid(), 'current-schema-id': '0' }),
      'corrupt',
      { field: 'current-schema-id', location: 's3://b/t/metadata/00001-x.metadata.json' },
      /should be an integer, found the string "0"/,
    );
    expectFloeError(() => parseObject({ ...valid(), properties: { a: 1 } }), 'corrupt', { field: 'properties.a' });
    expectFloeError(() => parseObject({ ...valid(), 'last-updated-ms': 1.5 }), 'corrupt', { field: 'last-updated-ms' });
  });

  it('a missing required field is corrupt and names it', () => {
    const { location: _location, ...withoutLocation } = valid();
    expectFloeError(() => parseObject(withoutLocation), 'corrupt', { field: 'location' }, /field is missing/);
    const { 'last-sequence-number': _seq, ...withoutSequence } = valid();
    expectFloeError(() => parseObject(withoutSequence), 'corrupt', { field: 'last-sequence-number' });
  });

  it('errors deep in the document carry the full path', () => {
    const object = valid();
    const schemas = object['schemas'] as { fields: { type: unknown }[] }[];
    (schemas[0]?.fields[0] as { type: unknown }).type = 'decimal(10)';
    expectFloeError(() => parseObject(object), 'corrupt', { field: 'schemas[0].fields[0].type' }, /an Iceberg type/);
  });

  it('a snapshot id that is not a 64-bit integer is corrupt', () => {
    const original = fixtureText('v2-evolved');
    const snapshots = original.indexOf('"snapshots"');
    const text = original.slice(0, snapshots) + original.slice(snapshots).replace(/"snapshot-id": (\d+)/, '"snapshot-id": "$1"');
    expectFloeError(
      () => parseTableMetadata(text, 'm.json'),
      'corrupt',
      { field: 'snapshots[0].snapshot-id' },
      /64-bit integer, found the string/,
    );
    const tooBig = fixtureText('v1-legacy').replaceAll('9223372036854775807', '9223372036854775808');
    expectFloeError(() => parseTableMetadata(tooBig, 'm.json'), 'corrupt', { field: 'current-snapshot-id' }, /64-bit integer/);
  });

  it('an unknown format version is unsupported, with a clear message', () => {
    expectFloeError(
      () => parseObject({ ...valid(), 'format-version': 4 }),
      'unsupported',
      { field: 'format-version' },
      /format-version 4; Floe reads format versions 1, 2 and 3/,
    );
  });

  it('inconsistent ids are corrupt and name the field', () => {
    expectFloeError(
      () => parseObject({ ...valid(), 'current-schema-id': 7 }),
      'corrupt',
      { field: 'current-schema-id' },
      /7 is not among the schemas/,
    );
    expectFloeError(() => parseObject({ ...valid(), 'default-spec-id': 3 }), 'corrupt', { field: 'default-spec-id' });
    expectFloeError(
      () => parseObject({ ...valid(), refs: { audit: { 'snapshot-id': 5, type: 'tag' } } }),
      'corrupt',
      { field: 'refs.audit' },
      /snapshot 5/,
    );
    expectFloeError(() => parseObject({ ...valid(), 'current-snapshot-id': 42 }), 'corrupt', { field: 'current-snapshot-id' });
  });

  it('a v2 snapshot without summary is corrupt; an unknown operation too', () => {
    const object = JSON.parse(fixtureText('v2-evolved')) as { snapshots: Record<string, unknown>[] };
    delete object.snapshots[0]?.['summary'];
    expectFloeError(() => parseTableMetadata(JSON.stringify(object), 'm.json'), 'corrupt', { field: 'snapshots[0].summary' });
    const other = JSON.parse(fixtureText('v2-evolved')) as { snapshots: { summary: Record<string, string> }[] };
    (other.snapshots[1] as { summary: Record<string, string> }).summary['operation'] = 'merge';
    expectFloeError(() => parseTableMetadata(JSON.stringify(other), 'm.json'), 'corrupt', { field: 'snapshots[1].summary.operation' });
  });

  it('v3 types Floe cannot read (variant, geometry, geography) parse and are written back as spelled; a misspelled one is corrupt', () => {
    const spellings = ['variant', 'geometry', 'geometry(srid:4326)', 'geography(OGC:CRS84, karney)'];
    for (const type of spellings) {
      const object = valid();
      const schemas = object['schemas'] as { fields: { type: unknown }[] }[];
      (schemas[0]?.fields[0] as { type: unknown }).type = type;
      const metadata = parseObject(object);
      assert.equal(metadata.schemas[0]?.fields[0]?.type, type);
      const written = JSON.parse(serializeTableMetadata(metadata)) as { schemas: { fields: { type: unknown }[] }[] };
      assert.equal(written.schemas[0]?.fields[0]?.type, type);
    }
    const object = valid();
    const schemas = object['schemas'] as { fields: { type: unknown }[] }[];
    (schemas[0]?.fields[0] as { type: unknown }).type = 'geometry[4326]';
    expectFloeError(() => parseObject(object), 'corrupt', { field: 'schemas[0].fields[0].type' });
  });
});
