// services: temporal
// `floe dev` on fixed ports: its Temporal server at temporal.address and Web UI on dev.uiPort, the
// history in .floe/temporal.db, so a restart comes back on the same ports with the workflows run
// before it; a port held by another program is one line naming the port and setting, exit 2; a
// second dev of the project says where the first runs.
// Never 7233/8233 (something may listen there): every port here is a free one set in the project.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import type { Server } from 'node:net';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { freePorts } from '../../../scripts/services/ports.js';
import { interrupt, until } from '../../support/child-process.js';
import { floeCommand, linkCheckoutAsFloe } from '../../support/cli-project.js';
import { withWorkflowClient } from '../../support/workflow-client.js';
import { scratchFolder } from '../../support/scratch-folder.js';
import { startDev } from '../../support/floe-dev.js';

interface Ready {
  readonly temporalAddress: string;
  readonly temporalUi: string;
}

const scratch = scratchFolder('dev');
let project: string;
let env: NodeJS.ProcessEnv;
let address: string;
let uiPort: number;
const running = new Set<ChildProcess>();

before(async () => {
  project = path.join(scratch, 'devproject');
  const init = await floeCommand(['init', project, '--json']);
  assert.equal(init.code, 0, init.stderr);
  const [port, ui] = (await freePorts(2)) as [number, number];
  address = `127.0.0.1:${port}`;
  uiPort = ui;
  env = {
    ...(await linkCheckoutAsFloe(project)),
    FLOE_TEMPORAL_ADDRESS: address,
    FLOE_DEV_UI_PORT: String(uiPort),
    FLOE_TASK_QUEUE: `dev-${randomUUID()}`,
  };
});

after(async () => {
  for (const child of running) await stop(child);
});

/** `floe dev --json` without the feature server, once it is ready: its ready document, and its pane (stderr) so far. */
async function startedDev(): Promise<{ child: ChildProcess; ready: Ready; pane: () => string }> {
  const dev = startDev(['--project', project, '--no-serve', '--json'], { env });
  running.add(dev.child);
  const ready = await dev.when(({ stdout }) => parsedJson<Ready>(stdout));
  return { child: dev.child, ready, pane: dev.stderr };
}

function parsedJson<T>(text: string): T | undefined {
  try {
    return JSON.parse(text) as T;
  } catch {
    return undefined; // not complete yet
  }
}

function stop(child: ChildProcess): Promise<number | null> {
  running.delete(child);
  return interrupt(child);
}

function holdPort(port: number): Promise<Server> {
  const server = createServer();
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve(server));
  });
}

function oneLineNoStack(stderr: string): void {
  assert.equal(stderr.trim().split('\n').length, 1, `more than one line:\n${stderr}`);
  assert.doesNotMatch(stderr, /\n\s+at /);
}

describe('floe dev', () => {
  test('binds the configured ports, and a restart keeps them and the workflow history', async () => {
    const first = await startedDev();
    assert.equal(first.ready.temporalAddress, address);
    assert.equal(new URL(first.ready.temporalUi).port, String(uiPort));
    assert.equal((await fetch(first.ready.temporalUi)).status, 200);
    // A run started from another terminal, which finds dev through the same floe.yaml.
    const started = await floeCommand(
      [
        'materialize',
        'driver_hourly_stats',
        '--start',
        '2024-05-01T00:00:00Z',
        '--end',
        '2024-05-02T00:00:00Z',
        '--no-wait',
        '--json',
        '--project',
        project,
      ],
      { env },
    );
    assert.equal(started.code, 0, started.stderr);
    const { workflowId, runId } = JSON.parse(started.stdout) as { workflowId: string; runId: string };
    // The project has no source data yet: the run fails on a user error, which the pane shows as one line.
    await assert.rejects(withWorkflowClient(address, (client) => client.getHandle(workflowId).result()));
    const showsFailure = () =>
      first
        .pane()
        .split('\n')
        .some((line) => /\[WARN\] Activity failed \(.*\): .*rides\.driver_stats does not exist/.test(line));
    // The client can see the run fail before the worker's line about it reaches the pane.
    await until('the pane to show the failed activity', [], showsFailure, 10_000).catch(() => undefined);
    assert.ok(showsFailure(), first.pane());
    assert.doesNotMatch(first.pane(), /taskToken|\n\s+at |^\s*\w+: /m, 'no SDK metadata or stack trace');
    assert.equal(await stop(first.child), 130);

    const second = await startedDev();
    assert.deepEqual(second.ready, first.ready, 'the same address and UI after a restart');
    const description = await withWorkflowClient(address, (client) => client.getHandle(workflowId).describe());
    assert.equal(description.runId, runId, 'the run from before the restart is still in the history');
    const listed = await withWorkflowClient(address, async (client) => {
      const ids: string[] = [];
      for await (const execution of client.list({ query: `WorkflowId = '${workflowId}'` })) ids.push(execution.runId);
      return ids;
    });
    assert.deepEqual(listed, [runId]);

    // While dev runs, a second dev of the project — on its ports or on others, which would share
    // .floe/temporal.db — is refused before it starts anything, saying where the first one runs.
    const [otherPort, otherUi] = (await freePorts(2)) as [number, number];
    for (const secondEnv of [env, { ...env, FLOE_TEMPORAL_ADDRESS: `127.0.0.1:${otherPort}`, FLOE_DEV_UI_PORT: String(otherUi) }]) {
      const again = await floeCommand(['dev', '--project', project, '--no-serve'], { env: secondEnv });
      assert.equal(again.code, 2, again.stderr);
      assert.equal(
        again.stderr,
        `floe: floe dev already runs for this project (pid ${second.child.pid}): Temporal ${address}, Web UI ${second.ready.temporalUi}, feature server (off). Use that one, or stop it (Ctrl-C in its terminal) first; .floe/dev.lock names it\n`,
      );
    }
    assert.equal(await stop(second.child), 130);

    // A dev that crashed left its lock behind, naming a process that is gone: the next one takes it over.
    const gone = spawn(process.execPath, ['-e', ''], { stdio: 'ignore' });
    await new Promise((resolve) => gone.once('exit', resolve));
    await writeFile(
      path.join(project, '.floe', 'dev.lock'),
      JSON.stringify({ pid: gone.pid, temporalAddress: address, temporalUi: first.ready.temporalUi }),
    );
    const third = await startedDev();
    assert.deepEqual(third.ready, first.ready);
    assert.equal(await stop(third.child), 130);
  });

  test('a port held by another program: exit 2, one line naming the port and its setting', async () => {
    const [taken] = (await freePorts(1)) as [number];
    const holder = await holdPort(taken);
    try {
      const grpc = await floeCommand(['dev', '--project', project, '--no-serve'], {
        env: { ...env, FLOE_TEMPORAL_ADDRESS: `127.0.0.1:${taken}` },
      });
      assert.equal(grpc.code, 2, grpc.stderr);
      assert.match(
        grpc.stderr,
        new RegExp(
          `^floe: Port ${taken} on 127\\.0\\.0\\.1 is taken by another program, and floe dev needs it for Temporal's gRPC: stop that program, or choose another port with temporal\\.address in floe\\.yaml`,
        ),
      );
      oneLineNoStack(grpc.stderr);

      const ui = await floeCommand(['dev', '--project', project, '--no-serve'], { env: { ...env, FLOE_DEV_UI_PORT: String(taken) } });
      assert.equal(ui.code, 2, ui.stderr);
      assert.match(
        ui.stderr,
        new RegExp(
          `Port ${taken} on 127\\.0\\.0\\.1 is taken by another program, and floe dev needs it for Temporal's Web UI: .*dev\\.uiPort in floe\\.yaml`,
        ),
      );
      oneLineNoStack(ui.stderr);
    } finally {
      await new Promise((resolve) => holder.close(resolve));
    }
  });

  test('a temporal.address that is not local is refused with exit 2', async () => {
    const run = await floeCommand(['dev', '--project', project, '--no-serve'], {
      env: { ...env, FLOE_TEMPORAL_ADDRESS: 'temporal.example.com:7233' },
    });
    assert.equal(run.code, 2, run.stderr);
    assert.match(run.stderr, /must be a local IPv4 address and port such as 127\.0\.0\.1:7233; got "temporal\.example\.com:7233"/);
  });
});
