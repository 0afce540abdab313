import type { Command } from 'commander';
import { FloeError } from '../../core/errors.js';
import { defined } from '../../contracts/defined.js';
import type { Redactor } from '../../core/redaction.js';

/** The offline endpoint's default port: Feast's offline server's. */
export const DEFAULT_OFFLINE_PORT = 8815;
/** The registry endpoint's default port: Feast's registry server's. */
export const DEFAULT_REGISTRY_PORT = 6570;

export function serveCommand(program: Command, redactor: Redactor): void {
  program
    .command('serve')
    .description(
      "Serve online features over HTTP, shaped like Feast's feature server (POST /get-online-features, /push, /write-to-online-store, /materialize, /materialize-incremental; GET /health, /metrics) and a web UI under /ui",
    )
    .option('--project <dir>', 'the Floe project folder (holding floe.yaml)', '.')
    .option('--host <host>', 'the address to listen on', '127.0.0.1')
    .option('--port <port>', 'the port to listen on (0: any free port)', '6566')
    .option(
      '--offline-port <port>',
      "the port of the offline endpoint (Arrow Flight, for Feast's remote offline store); default 8815, or any free port when --port is 0",
    )
    .option(
      '--registry-port <port>',
      "the port of the registry endpoint (gRPC, for Feast's remote registry); default 6570, or any free port when --port is 0",
    )
    .option(
      '--registry-file-sources',
      "show Iceberg sources to Feast's registry client as FileSource, for Feast before 0.67 (which has no IcebergSource)",
    )
    .option(
      '--refresh-interval-ms <ms>',
      "how often to check the catalog for new snapshots of the online tables (default: the online store's, every second)",
    )
    .option('--json', 'print the address as JSON once listening')
    .option(
      '--insecure',
      'serve on an address other than loopback without server.auth in floe.yaml (anyone who reaches it may read and push)',
    )
    .action(async (options: ServeOptions) => {
      const port = integer(options.port, '--port', 0, 65_535);
      const offlinePort = integer(options.offlinePort ?? (port === 0 ? '0' : String(DEFAULT_OFFLINE_PORT)), '--offline-port', 0, 65_535);
      const registryPort = integer(
        options.registryPort ?? (port === 0 ? '0' : String(DEFAULT_REGISTRY_PORT)),
        '--registry-port',
        0,
        65_535,
      );
      const refreshIntervalMs =
        options.refreshIntervalMs === undefined ? undefined : integer(options.refreshIntervalMs, '--refresh-interval-ms', 0, 86_400_000);
      const { loadProject } = await import('../../features/project.js');
      const { printResult } = await import('../output.js');
      const project = await loadProject(options.project, process.env, { redactor });
      const { projectFeatureServer } = await import('../project-feature-server.js');
      const { openRuntime } = await import('../../features/runtime.js');
      const { FEATURE_SERVER_ENGINE } = await import('../../server/feature-server.js');
      const authenticated = project.config.server.auth !== undefined;
      refuseOpenServer(options, authenticated);
      if (options.insecure === true) console.error(`floe serve: warning: ${insecureWarning(options.host, authenticated)}`);
      const runtime = await openRuntime(project, FEATURE_SERVER_ENGINE);
      const { projectOfflineServer } = await import('../project-offline-server.js');
      const { projectPusher } = await import('../project-pusher.js');
      const pusher = projectPusher(runtime);
      const server = await projectFeatureServer(runtime, { ...defined({ refreshIntervalMs }), pusher });
      const offline = await projectOfflineServer(runtime, pusher);
      const { projectRegistryServer } = await import('../project-registry-server.js');
      const registry = await projectRegistryServer(runtime, options.registryFileSources === true ? 'file' : 'iceberg');
      try {
        const url = listeningUrl(await server.listen({ host: options.host, port }), options.host);
        const offlineUrl = listeningUrl(
          `http://127.0.0.1:${await offline.listen({ host: options.host, port: offlinePort })}`,
          options.host,
        ).replace(/^http:/, project.config.server.tls === undefined ? 'grpc+tcp:' : 'grpc+tls:');
        // Feast's remote registry takes `path: host:port`, so the address is given bare.
        const registryAddress = listeningUrl(
          `http://127.0.0.1:${await registry.listen({ host: options.host, port: registryPort })}`,
          options.host,
        ).replace(/^http:\/\//, '');
        printResult(
          redactor,
          { url, offlineUrl, registryAddress, project: project.config.project },
          options,
          () =>
            `Floe feature server for project ${project.config.project} on ${url} (POST /get-online-features, /push, /write-to-online-store, /materialize, /materialize-incremental; GET /health, /metrics; the web UI at ${url}/ui/), offline endpoint (Arrow Flight, Feast's remote offline store) on ${offlineUrl}, registry endpoint (gRPC, Feast's remote registry) on ${registryAddress}; Ctrl-C stops it`,
        );
        const { describeOnlineDataGap, onlineDataGaps } = await import('../../features/online/index.js');
        for (const gap of await onlineDataGaps(runtime.catalog, project.registry))
          console.error(`floe serve: warning: ${describeOnlineDataGap(gap)}`);
        await untilInterrupted();
      } finally {
        await registry.close();
        await offline.close();
        await server.close();
        await pusher.drain();
        await runtime.close();
      }
    });
}

interface ServeOptions {
  readonly project: string;
  readonly host: string;
  readonly port: string;
  readonly offlinePort?: string;
  readonly registryPort?: string;
  readonly registryFileSources?: boolean;
  readonly refreshIntervalMs?: string;
  readonly json?: boolean;
  readonly insecure?: boolean;
}

/** Beyond loopback, a server without `server.auth` would let anyone who reaches it read and push: refused unless `--insecure` says so. */
function refuseOpenServer(options: ServeOptions, authenticated: boolean): void {
  if (authenticated || options.insecure === true || isLoopback(options.host)) return;
  throw new FloeError(
    'invalid-input',
    `floe serve --host ${options.host} would let anyone who reaches that address read features and push rows: floe.yaml has no server.auth. Add server.auth (tokens or oidc; see the README), or pass --insecure to serve it open anyway`,
    { context: { field: 'server.auth' } },
  );
}

/** What `--insecure` turned off, said every time it is given (a flag left in a script keeps saying so). */
export function insecureWarning(host: string, authenticated: boolean): string {
  if (authenticated) return '--insecure changes nothing here: floe.yaml has server.auth, so callers still need a token';
  if (isLoopback(host)) return `--insecure changes nothing on loopback (${host}): only this machine can reach it`;
  return `--insecure turns off the check that an address beyond loopback has server.auth: the server on ${host} lets anyone who reaches it read features and push rows, without a token`;
}

/**
 * The URL of the address the server listens on: fastify's URL names a loopback address when the
 * host is a wildcard (0.0.0.0, ::), so the host given replaces it; the port is the one bound.
 */
export function listeningUrl(fastifyUrl: string, host: string): string {
  const { protocol, port } = new URL(fastifyUrl);
  const bare = host.replace(/^\[(.*)\]$/, '$1');
  return `${protocol}//${bare.includes(':') ? `[${bare}]` : bare}${port === '' ? '' : `:${port}`}`;
}

function isLoopback(host: string): boolean {
  const bare = host.replace(/^\[(.*)\]$/, '$1').toLowerCase();
  return bare === 'localhost' || bare === '::1' || /^127(\.\d{1,3}){3}$/.test(bare) || /^::ffff:127(\.\d{1,3}){3}$/.test(bare);
}

export function integer(text: string, option: string, min: number, max: number): number {
  const value = Number(text);
  if (!Number.isInteger(value) || value < min || value > max)
    throw new FloeError('invalid-input', `${option} must be an integer from ${min} to ${max}, got ${JSON.stringify(text)}`, {
      context: { field: option },
    });
  return value;
}

export function untilInterrupted(): Promise<void> {
  return new Promise((resolve) => {
    process.once('SIGINT', () => resolve());
    process.once('SIGTERM', () => resolve());
  });
}
