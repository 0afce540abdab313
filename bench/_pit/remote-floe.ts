// `floe serve` over the bench's catalog, for Feast's remote offline store: a project whose
// features.ts exports definitions.ts's definitions and whose engine has the settings Floe's own run
// (floe-run.ts) has, so the remote figures differ from Floe's by the protocol alone. In a process of
// its own, so its peak memory is its own.
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseCatalogConfig } from '../../iceberg/catalog/catalog-config.js';
import { startServer, writeSqlCatalogProject } from '../../test/support/cli-project.js';
import { peakRssMb, stopProcess } from '../_online/server-process.js';
import type { BenchData } from './data.js';

const here = path.dirname(fileURLToPath(import.meta.url));

export interface RemoteFloe {
  /** The port of its offline endpoint (Arrow Flight) on 127.0.0.1. */
  readonly offlinePort: number;
  /** Peak resident memory so far (Linux VmHWM) of the serve process, in MB. */
  peakRssMb(): number;
  stop(): Promise<void>;
}

export async function startRemoteFloe(data: BenchData, memoryLimit: string): Promise<RemoteFloe> {
  const directory = path.join(data.directory, 'serve');
  await mkdir(directory, { recursive: true });
  const catalog = parseCatalogConfig(data.catalogConfig);
  if (catalog.type !== 'sql') throw new Error(`the pit bench's catalog is a SQL catalog, not ${catalog.type}`);
  await writeSqlCatalogProject(directory, {
    project: 'bench_pit',
    catalog: { name: catalog.name, uri: data.catalogConfig.uri, warehouse: data.catalogConfig.warehouse },
    features: `import { pitDefinitions } from ${JSON.stringify(path.join(here, 'definitions.ts'))};\nexport const definitions = pitDefinitions();\n`,
    yaml: `engine: ${JSON.stringify({ threads: 2, memoryLimit, tempDirectory: path.join(data.directory, 'spill-serve') })}\n`,
  });
  const { offlinePort, server } = await startServer(directory);
  return { offlinePort, peakRssMb: () => peakRssMb(server.pid!), stop: () => stopProcess(server) };
}
