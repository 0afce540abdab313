import assert from 'node:assert/strict';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { Engine } from '../../../engine/duckdb.js';
import { FloeError } from '../../../core/errors.js';
import { tuples, withEngine } from '../../support/engine/duckdb.js';

describe('Engine', () => {
  it('applies memory limit, threads, temp directory, UTC and insertion order settings', async () => {
    await withEngine(
      async (engine, dir) => {
        const spill = join(dir, 'spill');
        assert.equal(await engine.setting('threads'), '3');
        assert.equal(await engine.setting('memory_limit'), '256.0 MiB');
        assert.equal(await engine.setting('temp_directory'), spill);
        assert.equal(await engine.setting('TimeZone'), 'UTC');
        assert.equal(await engine.setting('preserve_insertion_order'), 'false');
        assert.equal(await engine.setting('autoinstall_known_extensions'), 'false');
        const perConnection = await engine.withConnection(
          async (connection) => (await tuples(connection, `SELECT current_setting('preserve_insertion_order')`))[0]?.[0],
          { preserveInsertionOrder: true },
        );
        assert.equal(perConnection, true);
        // The override is that connection's alone.
        assert.equal(await engine.setting('preserve_insertion_order'), 'false');
      },
      { threads: 3, memoryLimit: '256MiB' },
    );
  });

  it('gives freed memory back to the OS soon', async () => {
    const allocator = async (engine: Engine) =>
      Promise.all(['allocator_background_threads', 'allocator_flush_threshold'].map((name) => engine.setting(name)));
    await withEngine(async (engine) => assert.deepEqual(await allocator(engine), ['true', '15.2 MiB']));
  });

  it('spills a join bigger than its memory limit to the temp directory instead of failing', async () => {
    await withEngine(
      async (engine, dir) => {
        let spillFilesSeen = 0;
        const watcher = setInterval(() => {
          readdir(join(dir, 'spill'))
            .then((files) => {
              spillFilesSeen = Math.max(spillFilesSeen, files.length);
            })
            .catch(() => undefined);
        }, 20);
        try {
          // Two 4M-row sides of 40-byte strings: the hash join's build side alone is past 64 MB.
          const [[matches]] = (await engine.withConnection((connection) =>
            tuples(
              connection,
              `WITH a AS (SELECT md5(i::VARCHAR) || 'xxxxxxxx' AS s FROM range(4000000) t(i)),
                    b AS (SELECT md5(i::VARCHAR) || 'xxxxxxxx' AS s FROM range(2000000, 6000000) t(i))
               SELECT count(*) FROM a JOIN b USING (s)`,
            ),
          )) as [[bigint]];
          assert.equal(matches, 2_000_000n);
        } finally {
          clearInterval(watcher);
        }
        assert.ok(spillFilesSeen > 0, 'the join wrote spill files while it ran');
      },
      { memoryLimit: '64MB', threads: 2 },
    );
  });

  it('closes the connection after the callback, even when it throws', async () => {
    await withEngine(async (engine) => {
      let kept: { run(sql: string): Promise<unknown> } | undefined;
      await engine.withConnection(async (connection) => {
        kept = connection;
      });
      await assert.rejects(kept!.run('SELECT 1'));
      let failed: { run(sql: string): Promise<unknown> } | undefined;
      await assert.rejects(
        engine.withConnection(async (connection) => {
          failed = connection;
          throw new Error('boom');
        }),
        /boom/,
      );
      await assert.rejects(failed!.run('SELECT 1'));
    });
  });

  it('interrupts a running query when the signal aborts, rejecting with the reason', async () => {
    await withEngine(async (engine) => {
      const controller = new AbortController();
      const reason = new Error('activity cancelled');
      setTimeout(() => controller.abort(reason), 200);
      await assert.rejects(
        engine.withConnection((connection) => connection.runAndReadAll('SELECT count(*) FROM range(100000000000) a'), {
          signal: controller.signal,
        }),
        (error: unknown) => error === reason,
      );
      // The engine stays usable.
      assert.deepEqual(await engine.withConnection((connection) => tuples(connection, 'SELECT 42')), [[42]]);
    });
  });

  it('rejects an interrupted stream even though DuckDB ends it as if it were complete', async () => {
    await withEngine(async (engine) => {
      const controller = new AbortController();
      let rowsSeen = 0;
      await assert.rejects(
        engine.withConnection(
          async (connection) => {
            const result = await connection.stream('SELECT * FROM range(1000000000)');
            for await (const chunk of result) {
              rowsSeen += chunk.rowCount;
              if (rowsSeen > 100_000 && !controller.signal.aborted) controller.abort(new Error('stop'));
            }
            return rowsSeen;
          },
          { signal: controller.signal },
        ),
        /stop/,
      );
      assert.ok(rowsSeen < 1_000_000_000);
    });
  });

  it('does not start work for an already aborted signal', async () => {
    await withEngine(async (engine) => {
      let ran = false;
      await assert.rejects(
        engine.withConnection(
          async () => {
            ran = true;
          },
          { signal: AbortSignal.abort(new Error('too late')) },
        ),
        /too late/,
      );
      assert.equal(ran, false);
    });
  });

  it('runs setup once so scalar functions registered there reach every connection', async () => {
    await withEngine(
      async (engine) => {
        const [first] = await engine.withConnection((connection) => tuples(connection, 'SELECT floe_probe(1)'));
        const [second] = await engine.withConnection((connection) => tuples(connection, 'SELECT floe_probe(2)'));
        assert.deepEqual([first, second], [[2], [3]]);
      },
      {
        setup: async (connection) => {
          await connection.run('CREATE MACRO floe_probe(x) AS x + 1');
        },
      },
    );
  });

  it('refuses bad settings with a FloeError', async () => {
    await assert.rejects(Engine.create({ threads: 0 }), (error: unknown) => FloeError.is(error, 'invalid-input'));
    await assert.rejects(
      Engine.create({ memoryLimit: 'lots' }),
      (error: unknown) => FloeError.is(error, 'invalid-input') && /memory/i.test((error as Error).message),
    );
    // DuckDB says only "Failed to set config" when it opens; the error names the option it refused, and why.
    await assert.rejects(Engine.create({ memoryLimit: '1GB', maxTempDirectorySize: 'huge' }), (error: unknown) => {
      assert.ok(FloeError.is(error, 'invalid-input'));
      assert.equal(error.context.setting, 'maxTempDirectorySize');
      assert.equal(error.detail, 'DuckDB refused maxTempDirectorySize "huge": Memory must have a number (e.g. 1GB)');
      return true;
    });
  });
});
