// services: temporal
// docs/tutorial.md, followed as a reader would: every shell line of the page runs in order (npx floe
// as bin/floe.js, curl as curl), its TypeScript blocks are saved into features.ts or run with tsx,
// its CSV is the entity file and its JSON input starts the workflow the UI would. The only
// departures: the checkout stands in for the installed tarball (`npm install`), and `floe dev`
// runs on free ports (the page's 6566 is rewritten to the feature server's port), on the test's own
// task queue. What the page says a step prints is checked too.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { freePorts } from '../../../scripts/services/ports.js';
import { codeBlocks, type CodeBlock, shellWords } from '../../support/markdown-blocks.js';
import { interrupt, runToEnd, type Finished } from '../../support/child-process.js';
import { linkCheckoutAsFloe } from '../../support/cli-project.js';
import { withWorkflowClient } from '../../support/workflow-client.js';
import { scratchFolder } from '../../support/scratch-folder.js';
import { startDev, type FloeDev } from '../../support/floe-dev.js';
import { applyDefinitionsEdit, definitionsEdits } from '../../support/tutorial-definitions.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const floe = path.join(root, 'bin', 'floe.js');
const PAGE = 'docs/tutorial.md';
const blocks = codeBlocks(root, PAGE);
/** The page's additions to features.ts (sections 5 and 6), applied as the page says. */
const edits = definitionsEdits(root, PAGE);
const of = (language: string): CodeBlock[] => blocks.filter((block) => block.language === language);

const scratch = scratchFolder('tutorial');
let cwd: string;
let env: NodeJS.ProcessEnv;
let temporalAddress: string;
let serverPort: number;
let dev: FloeDev | undefined;
/** What dev printed so far, both streams as they came. */
const devOutput = (): string => dev?.both() ?? '';

before(async () => {
  cwd = scratch;
  const [temporalPort, uiPort, port] = (await freePorts(3)) as [number, number, number];
  temporalAddress = `127.0.0.1:${temporalPort}`;
  serverPort = port;
  env = {
    ...process.env,
    FLOE_TEMPORAL_ADDRESS: temporalAddress,
    FLOE_DEV_UI_PORT: String(uiPort),
    FLOE_TASK_QUEUE: `tutorial-${randomUUID()}`,
  };
  for (const name of ['FLOE_CATALOG_URI', 'FLOE_CATALOG_NAME', 'FLOE_WAREHOUSE']) delete env[name];
});

after(async () => {
  if (dev !== undefined) await interrupt(dev.child);
});

/** Runs one line of a shell block as the page means it; the finished command, or null for `cd` and the like. */
async function runLine(line: string): Promise<Finished | null> {
  const words = line
    .replace(/\s+#.*$/, '')
    .trim()
    .split(/\s+/);
  if (words[0] === 'cd') {
    cwd = path.resolve(cwd, words[1]!);
    return null;
  }
  if (words[0] === 'npm' && words[1] === 'install') {
    // The installed package: this checkout, linked where the project looks for `floe`.
    if (words.length === 2) env = await linkCheckoutAsFloe(cwd, env);
    return null;
  }
  if (words[0] === 'node') return run(process.execPath, ['--import', import.meta.resolve('tsx'), ...words.slice(1)]);
  if (words[0] === 'npx' && words[1] === 'floe' && words[2] === 'dev') {
    dev = startDev([...words.slice(3), '--port', String(serverPort), '--json'], { cwd, env });
    await until(() => /"featureServer"|Feature server/.test(devOutput()), 'floe dev to be ready');
    return null;
  }
  if (words[0] === 'npx' && words[1] === 'floe') return run(process.execPath, [floe, ...shellWords(line.slice(line.indexOf('floe') + 5))]);
  if (words[0] === 'curl') return run('curl', shellWords(line.slice(4).replaceAll(':6566/', `:${serverPort}/`)));
  throw new Error(`${PAGE}: no way to run "${line}"`);
}

async function run(command: string, args: readonly string[]): Promise<Finished> {
  const finished = await runToEnd(command, args, { cwd, env });
  assert.equal(finished.code, 0, `${command} ${args.join(' ')}\n${finished.stdout}\n${finished.stderr}`);
  return finished;
}

/** Saves features.ts and waits for `floe dev` to apply it (one more reload event). */
async function editDefinitions(edit: (text: string) => string): Promise<void> {
  const reloads = reloadCount();
  const file = path.join(cwd, 'features.ts');
  await writeFile(file, edit(await readFile(file, 'utf8')));
  await until(() => reloadCount() > reloads, 'floe dev to reload the definitions');
  assert.match(
    devOutput()
      .split('\n')
      .findLast((line) => line.includes('"reload"'))!,
    /"applied":true|applied/,
  );
}

function reloadCount(): number {
  return devOutput()
    .split('\n')
    .filter((line) => line.includes('"event":"reload"')).length;
}

async function until(condition: () => boolean, what: string, timeoutMs = 180_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}:\n${devOutput()}`);
    if (dev !== undefined && dev.child.exitCode !== null) throw new Error(`floe dev exited while waiting for ${what}:\n${devOutput()}`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

const lines = (block: CodeBlock): string[] => block.code.split('\n').filter((line) => line.trim() !== '');

describe('the tutorial, followed step by step', () => {
  const sh = of('sh');
  const ts = of('ts');

  test('the page has the blocks this walk expects', () => {
    assert.deepEqual(
      [sh.length, ts.length, of('csv').length, of('json').length],
      [10, 3, 1, 1],
      'the tutorial changed: follow its new steps here too',
    );
  });

  test('1–2. init, sample data, plan, apply, floe dev', async () => {
    for (const line of lines(sh[0]!)) await runLine(line);
    for (const line of lines(sh[1]!)) await runLine(line);
    for (const line of lines(sh[2]!)) await runLine(line);
  });

  test('3. materialize, read online (expired, then with the ttl removed), curl, backfill', async () => {
    const [materialize, getOnline] = lines(sh[3]!);
    await runLine(materialize!);
    const expired = (await runLine(getOnline!))!;
    assert.match(expired.stdout, /1001\s+\(expired: 2024-05-07T23:00:00Z\)/);
    assert.match(expired.stdout, /9999\s+\(not found\)/);
    await editDefinitions((text) => {
      assert.match(text, /^ {2}ttl: \{ days: 2 \},\n/m);
      return text.replace(/^ {2}ttl: \{ days: 2 \},\n/m, '');
    });
    const fresh = (await runLine(getOnline!))!;
    assert.match(fresh.stdout, /1001\s+0\.\d+\s+0\.\d+/);
    const curl = (await runLine(lines(sh[4]!)[0]!))!;
    assert.deepEqual((JSON.parse(curl.stdout) as { results: { statuses: string[] }[] }).results[1]!.statuses, ['PRESENT', 'PRESENT']);
    await runLine(lines(sh[5]!)[0]!);
  });

  test('4. a training set from TypeScript (npx tsx) and as a workflow', async () => {
    await writeFile(path.join(cwd, 'requests.csv'), `${of('csv')[0]!.code}\n`);
    await writeFile(path.join(cwd, 'train.ts'), ts[0]!.code);
    const train = await run(process.execPath, ['--import', import.meta.resolve('tsx'), 'train.ts']);
    assert.match(train.stdout, /conv_rate/);
    const [trainingSet, inspect] = lines(sh[6]!);
    assert.match((await runLine(trainingSet!))!.stdout, /Saved training set datasets\.week: 8400 row\(s\)/);
    await runLine(inspect!);
    assert.match((await runLine(trainingSet!))!.stdout, /already committed/);
  });

  test('5. an aggregated view: saved, applied by floe dev, backfilled, read online', async () => {
    await editDefinitions((text) => applyDefinitionsEdit(text, edits[0]!));
    const [backfill, getOnline] = lines(sh[7]!);
    await runLine(backfill!);
    const read = JSON.parse((await runLine(getOnline!))!.stdout) as { reads: { exactAsOf: string }[] };
    assert.equal(read.reads[0]!.exactAsOf, '2024-05-07T23:59:59.999999Z');
  });

  test('6. a push source: pushed over HTTP, read online, a resend writes nothing twice', async () => {
    await editDefinitions((text) => applyDefinitionsEdit(text, edits[1]!));
    const [push, getOnline] = lines(sh[8]!);
    const first = JSON.parse((await runLine(push!))!.stdout) as { rows: number; commits: unknown[] };
    assert.equal(first.rows, 1);
    assert.match((await runLine(getOnline!))!.stdout, /1001\s+0\.91/);
    assert.deepEqual(JSON.parse((await runLine(push!))!.stdout), first);
  });

  test('7. the UI’s Start Workflow input runs, and a schedule is created', async () => {
    const input = JSON.parse(of('json')[0]!.code) as unknown;
    const result = await withWorkflowClient(temporalAddress, (client) =>
      client.execute('materialize', { taskQueue: env.FLOE_TASK_QUEUE!, workflowId: `tutorial-ui-${randomUUID()}`, args: [input] }),
    );
    assert.equal((result as { featureView: string }).featureView, 'driver_activity');
    await editDefinitions((text) =>
      text.replace(/(name: 'driver_hourly_stats',[\s\S]*?online: \{ buckets: 16 \},)/, '$1\n  schedule: { every: { hours: 1 } },'),
    );
    const [apply, list] = lines(sh[9]!);
    await runLine(apply!);
    assert.match((await runLine(list!))!.stdout, /floe-materialize-driver_hourly_stats\s+active/);
  });
});
