/**
 * A Floe worker in its own process, for tests that kill it: `node --import tsx/esm worker-process.ts`
 * with FLOE_TEST_WORKER set to a WorkerProcessConfig (JSON). It prints `ready` once polling. With
 * `hold`, the `call`-th run of that hook point writes `marker` and then waits until the process is
 * killed (its step keeps heartbeating meanwhile, like a slow step that is alive). The `commit`
 * point is the catalog's commitTable: the commit step is held just before it asks the catalog.
 */
import { writeFile } from 'node:fs/promises';
import type { MaterializeHooks } from '../../../activities/materialize.js';
import type { Catalog } from '../../../iceberg/catalog/catalog.js';
import type { CatalogConfig } from '../../../iceberg/catalog/catalog-config.js';
import { testRuntime } from '../runtime.js';
import { startTestWorker } from '../temporal.js';
import { driverDefinitions } from './definitions.js';

export interface WorkerProcessConfig {
  readonly address: string;
  readonly namespace: string;
  readonly taskQueue: string;
  readonly catalog: CatalogConfig;
  readonly sourceTable: string;
  readonly onlineNamespace: string;
  readonly directory: string;
  readonly hold?: { readonly point: 'afterDataFiles' | 'afterWrite' | 'commit'; readonly call: number; readonly marker: string };
}

const config = JSON.parse(process.env.FLOE_TEST_WORKER ?? 'null') as WorkerProcessConfig | null;
if (config === null) throw new Error('FLOE_TEST_WORKER is not set');

const runtime = await testRuntime({
  directory: config.directory,
  catalog: config.catalog,
  definitions: driverDefinitions(config.sourceTable),
  onlineNamespace: config.onlineNamespace,
});
let calls = 0;
const holdForever = async (): Promise<void> => {
  calls += 1;
  if (config.hold === undefined || calls !== config.hold.call) return;
  await writeFile(config.hold.marker, `${process.pid}\n`);
  await new Promise<never>(() => undefined);
};
const hooks: MaterializeHooks = config.hold === undefined || config.hold.point === 'commit' ? {} : { [config.hold.point]: holdForever };
const catalog: Catalog =
  config.hold?.point !== 'commit'
    ? runtime.catalog
    : Object.assign(Object.create(runtime.catalog) as Catalog, {
        commitTable: async (...args: Parameters<Catalog['commitTable']>) => {
          await holdForever();
          return runtime.catalog.commitTable(...args);
        },
      });
await startTestWorker(runtime, {
  catalog,
  hooks,
  temporal: { address: config.address, namespace: config.namespace },
  taskQueue: config.taskQueue,
  quickHeartbeats: true,
  killable: true,
});
// Runs until the test kills the process.
console.log('ready');
