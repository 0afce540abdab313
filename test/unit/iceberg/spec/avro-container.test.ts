import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as zlib from 'node:zlib';
import avro from 'avsc';
import snappy from 'snappyjs';
import { FloeError } from '../../../../core/errors.js';
import { readAvroFile, writeAvroFile } from '../../../../iceberg/spec/avro/container.js';

const schema = {
  type: 'record',
  name: 'r',
  fields: [
    { name: 'id', type: 'long', 'field-id': 1 },
    { name: 's', type: ['null', 'string'], default: null, 'field-id': 2 },
  ],
};
const records = [
  { id: 2n ** 62n + 1n, s: 'a' },
  { id: -1n, s: null },
];

/** An Avro container file framed by hand (independently of container.ts), with any codec. */
function handMade(codec: string, compress: (raw: Buffer) => Buffer): Uint8Array {
  const header = avro.Type.forSchema({
    type: 'record',
    name: 'org.apache.avro.file.Header',
    fields: [
      { name: 'magic', type: { type: 'fixed', name: 'Magic', size: 4 } },
      { name: 'meta', type: { type: 'map', values: 'bytes' } },
      { name: 'sync', type: { type: 'fixed', name: 'Sync', size: 16 } },
    ],
  });
  const sync = Buffer.alloc(16, 7);
  const type = avro.Type.forSchema({
    type: 'record',
    name: 'r',
    fields: [
      { name: 'id', type: 'long' },
      { name: 's', type: ['null', 'string'] },
    ],
  });
  const raw = Buffer.concat([type.toBuffer({ id: 5, s: 'x' }), type.toBuffer({ id: 6, s: null })]);
  const block = compress(raw);
  const long = avro.Type.forSchema('long');
  return Buffer.concat([
    header.toBuffer({
      magic: Buffer.from('Obj\x01', 'latin1'),
      meta: { 'avro.schema': Buffer.from(JSON.stringify(schema)), 'avro.codec': Buffer.from(codec) },
      sync,
    }),
    long.toBuffer(2),
    long.toBuffer(block.length),
    block,
    sync,
  ]);
}

const snappyBlock = (raw: Buffer): Buffer => {
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(zlib.crc32(raw));
  return Buffer.concat([Buffer.from(snappy.compress(raw)), crc]);
};

describe('Avro container files', () => {
  for (const codec of ['null', 'deflate'] as const) {
    it(`writes and reads back the ${codec} codec, with metadata and 64-bit longs`, () => {
      const bytes = writeAvroFile({ schema, metadata: new Map([['format-version', '2']]), codec, records });
      const file = readAvroFile(bytes, 'mem://x.avro');
      assert.equal(file.codec, codec);
      assert.equal(file.metadata.get('format-version'), '2');
      assert.deepEqual(file.schema, schema);
      assert.deepEqual(
        file.records.map((r) => ({ ...(r as object) })),
        records,
      );
    });
  }

  it('reads hand-framed null, deflate and snappy files', () => {
    const expected = [
      { id: 5n, s: 'x' },
      { id: 6n, s: null },
    ];
    for (const [codec, compress] of [
      ['null', (b: Buffer) => b],
      ['deflate', (b: Buffer) => zlib.deflateRawSync(b)],
      ['snappy', snappyBlock],
    ] as const) {
      const file = readAvroFile(handMade(codec, compress), `mem://${codec}.avro`);
      assert.deepEqual(
        file.records.map((r) => ({ ...(r as object) })),
        expected,
        codec,
      );
    }
  });

  it('rejects a snappy block whose checksum is wrong as corrupt', () => {
    const bad = (raw: Buffer): Buffer => {
      const block = snappyBlock(raw);
      block[block.length - 1] = block[block.length - 1]! ^ 1;
      return block;
    };
    assert.throws(
      () => readAvroFile(handMade('snappy', bad), 'mem://bad.avro'),
      (e: unknown) => FloeError.is(e, 'corrupt') && e.message.includes('mem://bad.avro'),
    );
  });

  it('names an unsupported codec', () => {
    assert.throws(
      () =>
        readAvroFile(
          handMade('zstandard', (b) => b),
          'mem://z.avro',
        ),
      (e: unknown) => FloeError.is(e, 'unsupported') && e.message.includes('zstandard'),
    );
  });

  it('reads files of different schemas in turn with the schema each file carries', () => {
    // Readers are compiled once per schema text and reused: a file must never be read with another's.
    const wide = { type: 'record', name: 'r', fields: [...schema.fields, { name: 'n', type: 'int', 'field-id': 3 }] };
    const narrow = writeAvroFile({ schema, metadata: new Map(), codec: 'null', records });
    const withN = writeAvroFile({
      schema: wide,
      metadata: new Map(),
      codec: 'deflate',
      records: records.map((record, n) => ({ ...record, n })),
    });
    for (let round = 0; round < 2; round++) {
      assert.deepEqual(
        readAvroFile(narrow, 'narrow.avro').records.map((r) => ({ ...(r as object) })),
        records,
      );
      assert.deepEqual(
        readAvroFile(withN, 'wide.avro').records.map((r) => ({ ...(r as object) })),
        records.map((record, n) => ({ ...record, n })),
      );
    }
  });
});
