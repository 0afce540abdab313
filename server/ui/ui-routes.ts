import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { sendUiError } from './ui-error.js';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { streamStatus } from '../../features/stream/stream-status.js';
import { loadKafkaClient, TopicEndOffsetsReader } from '../../features/stream/topic-end-offsets.js';
import { ROUTE_PERMISSIONS } from '../auth/route-guard.js';
import { catalogOf } from './catalog.js';
import { freshnessReport } from './freshness-report.js';
import { RunsUnavailableError } from './runs.js';
import { searchCatalog } from './search.js';
import { visibleNames } from './visible-definitions.js';
import type { UiOptions } from './ui-options.js';
import { noStore } from './no-store.js';
import { addTableRoutes } from './table-routes.js';
import { addBackfillRoute } from './backfill-route.js';
import { addFeatureValuesRoute } from './feature-values-route.js';
import { addFreshnessHistoryRoute } from './freshness-history.js';
import { withLag } from './stream-lag.js';
import type { StreamLagStatus } from './stream-lag.js';

export type { UiOptions } from './ui-options.js';

/** How long the freshness page waits for a stream's brokers to tell its topic's end offsets. */
export const STREAM_LAG_TIMEOUT_MS = 2_000;

/** The most runs the runs page lists. */
export const LISTED_RUNS = 100;

const CONTENT_TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
};

/**
 * No script but the UI's own files, no inline script or style, no frames, nothing sent elsewhere:
 * the token the UI keeps in sessionStorage is only as safe as the page is from injected script.
 */
const CONTENT_SECURITY_POLICY =
  "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/**
 * The web UI under `/ui`: its page and assets (`/ui/`, `/ui/assets/<file>`), the same for every
 * project and holding no project data, so they are open (the page asks for a token when the data
 * routes answer 401); and its data as JSON under `/ui/api/…`, for any caller who may read, cut to
 * what that caller may read.
 */
export function addUiRoutes(app: FastifyInstance, options: UiOptions): void {
  const assets = readAssets();
  const clock = options.clock ?? Date.now;
  // The freshness page asks the streams' brokers for their lag: load their client now, not in its first request.
  if (options.catalog !== undefined && options.registry.streamSources.size > 0) void loadKafkaClient().catch(() => undefined);
  const endOffsets = new TopicEndOffsetsReader();
  app.addHook('onClose', () => endOffsets.close());
  const { open, browse } = ROUTE_PERMISSIONS;
  const sendAsset = (reply: FastifyReply, file: string): FastifyReply => {
    const asset = assets.get(file);
    if (asset === undefined) {
      reply.callNotFound();
      return reply;
    }
    return reply
      .header('content-security-policy', CONTENT_SECURITY_POLICY)
      .header('x-content-type-options', 'nosniff')
      .type(asset.type)
      .send(asset.body);
  };
  app.get('/ui', { config: { permission: open } }, async (_request, reply) => reply.redirect('/ui/'));
  app.get('/ui/', { config: { permission: open } }, async (_request, reply) => sendAsset(reply, 'index.html'));
  app.get<{ Params: { file: string } }>('/ui/assets/:file', { config: { permission: open } }, async (request, reply) =>
    sendAsset(reply, request.params.file),
  );

  app.get<{ Querystring: { q?: string } }>('/ui/api/catalog', { config: { permission: browse } }, async (request, reply) => {
    const visible = visibleNames(options.registry, request.caller?.permissions);
    const catalog = catalogOf(options.registry, visible, options.project);
    const query = typeof request.query.q === 'string' ? request.query.q : '';
    return noStore(reply).send(query.trim() === '' ? { ...catalog, matches: null } : searchCatalog(catalog, query));
  });
  app.get('/ui/api/freshness', { config: { permission: browse } }, async (request, reply) => {
    const visible = visibleNames(options.registry, request.caller?.permissions);
    const views = [...options.registry.featureViews.values()].filter((view) => visible.featureViews.has(view.name));
    const [freshness, streams] = await Promise.all([options.freshness(), streamStatuses(options, endOffsets, visible.streamSources)]);
    return noStore(reply).send({ ...freshnessReport(views, freshness, clock()), streams });
  });
  app.get('/ui/api/runs', { config: { permission: browse } }, async (request, reply) => {
    if (options.runs === undefined) return noStore(reply).send({ available: false, runs: [] });
    const visible = visibleNames(options.registry, request.caller?.permissions);
    const everything = request.caller === undefined || request.caller.permissions.read === true;
    try {
      const runs = (await options.runs.recent(LISTED_RUNS)).filter(
        // A run that names no view (a training set, a run whose input could not be read) is shown to those who may read everything.
        (run) => everything || (run.featureViews.length > 0 && run.featureViews.every((view) => visible.featureViews.has(view))),
      );
      return noStore(reply).send({ available: true, runs });
    } catch (error) {
      if (!(error instanceof RunsUnavailableError)) throw error;
      return sendUiError(reply, 503, 'temporal-unavailable', error.message);
    }
  });
  app.get('/ui/api/whoami', { config: { permission: browse } }, async (request, reply) =>
    noStore(reply).send({
      project: options.project,
      caller: request.caller?.name ?? null,
      // Without server.auth anyone may act, as on POST /materialize; the page shows actions only when the server can start them.
      mayMaterialize: options.actions === undefined ? false : (request.caller?.permissions.materialize ?? true),
    }),
  );
  addTableRoutes(app, options, clock);
  addBackfillRoute(app, options);
  addFeatureValuesRoute(app, options);
  addFreshnessHistoryRoute(app, options);
}

/**
 * The visible stream sources' statuses, by name, with their lag behind the topic's end (asked of
 * the brokers, which may take STREAM_LAG_TIMEOUT_MS; unknown with the reason when they do not
 * answer); one whose tables cannot be read now is left out (the others still answer).
 */
async function streamStatuses(
  options: UiOptions,
  endOffsets: TopicEndOffsetsReader,
  names: ReadonlySet<string>,
): Promise<StreamLagStatus[]> {
  const { catalog, registry } = options;
  if (catalog === undefined) return [];
  const streams = [...registry.streamSources.values()]
    .filter((stream) => names.has(stream.name))
    .sort((a, b) => (a.name < b.name ? -1 : 1));
  const [statuses, ends] = await Promise.all([
    Promise.all(streams.map((stream) => streamStatus(catalog, registry, stream).catch(() => undefined))),
    endOffsets.read(streams, options.streamLagTimeoutMs ?? STREAM_LAG_TIMEOUT_MS),
  ]);
  return statuses.flatMap((status, index) => (status === undefined ? [] : [withLag(status, ends.get(streams[index]!.name)!)]));
}

/** The UI's files, read once: from static/ beside this file, or beside its source when run from dist/. */
function readAssets(): Map<string, { type: string; body: Buffer }> {
  const beside = fileURLToPath(new URL('./static/', import.meta.url));
  const folder = existsSync(beside) ? beside : beside.replace(/[\\/]dist([\\/]server[\\/]ui[\\/]static[\\/]?)$/, '$1');
  const assets = new Map<string, { type: string; body: Buffer }>();
  for (const file of readdirSync(folder)) {
    const type = CONTENT_TYPES[path.extname(file)];
    if (type !== undefined) assets.set(file, { type, body: readFileSync(path.join(folder, file)) });
  }
  // uPlot, the charts' library, from the installed package (a dependency): its ES module and stylesheet.
  const uplot = path.dirname(createRequire(import.meta.url).resolve('uplot/dist/uPlot.esm.js'));
  for (const file of ['uPlot.esm.js', 'uPlot.min.css'])
    assets.set(file, { type: CONTENT_TYPES[path.extname(file)]!, body: readFileSync(path.join(uplot, file)) });
  return assets;
}
