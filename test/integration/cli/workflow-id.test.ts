// services: temporal
// A --workflow-id Temporal would refuse (a line break, a tab, too long) is refused before the command
// loads its project or connects, naming the flag and what it allows; and when the Temporal server
// itself refuses a start, the error carries the server's reason, not only "Failed to start Workflow".
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Client, Connection } from '@temporalio/client';
import { startOrFollow } from '../../../cli/temporal-client.js';
import { FloeError } from '../../../core/errors.js';
import { temporalService } from '../../support/services.js';
import { floeCommand } from '../../support/cli-project.js';

const WINDOW = ['--start', '2024-05-01T00:00:00Z', '--end', '2024-05-02T00:00:00Z'];

describe('--workflow-id', () => {
  for (const [what, id] of [
    ['a line break', 'nightly\nrun'],
    ['a tab', 'nightly\trun'],
    ['nothing', ''],
    ['1001 characters', 'x'.repeat(1001)],
  ] as const) {
    test(`with ${what} is refused up front, naming the flag (exit 2)`, async () => {
      for (const args of [
        ['materialize', 'driver_hourly_stats', ...WINDOW],
        ['backfill', 'driver_hourly_stats', ...WINDOW],
        ['training-set', '--entities-table', 'rides.requests', '--features', 'driver_hourly_stats', '--output', 'datasets.t'],
      ]) {
        // No project there: the id is checked before anything is loaded.
        const run = await floeCommand([...args, '--workflow-id', id, '--project', '/nonexistent-floe-project']);
        assert.equal(run.code, 2, run.stderr);
        assert.match(
          run.stderr,
          /^floe: --workflow-id must be 1 to 1000 characters without line breaks, tabs or other control characters, got "/,
        );
        assert.equal(run.stderr.trim().split('\n').length, 1, run.stderr);
      }
    });
  }

  test("a start the Temporal server refuses carries the server's reason", async () => {
    const connection = await Connection.connect({ address: temporalService().address });
    try {
      const client = new Client({ connection });
      const id = 'x'.repeat(1001);
      await assert.rejects(startOrFollow(client, 'materialize', { taskQueue: 'floe-refused-start', workflowId: id, args: [] }), (error) => {
        assert.ok(FloeError.is(error, 'invalid-input'), String(error));
        assert.match(error.message, /^Temporal did not start workflow "x{80}…": WorkflowId length exceeds limit/);
        assert.doesNotMatch(error.message, /Failed to start Workflow/);
        return true;
      });
    } finally {
      await connection.close();
    }
  });
});
