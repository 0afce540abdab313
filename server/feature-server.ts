import Fastify from 'fastify';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { stringify as stringifyLossless } from 'lossless-json';
import { DEFAULT_MAX_ENTITY_ROWS, serverAuthConfigSchema } from '../features/config.js';
import type { ServerAuthInput } from '../features/config.js';
import type { OnlineStore } from '../features/online/index.js';
import { RequestIdConflictError } from '../features/push/push-commit.js';
import { PushOverloadedError, Pusher } from '../features/push/pusher.js';
import type { PushConfig } from '../features/config.js';
import { FloeError } from '../core/errors.js';
import { parseExactJson } from '../core/exact-json.js';
import type { Redactor } from '../core/redaction.js';
import { createAuthenticator } from './auth/authenticator.js';
import { guardRoutes, ROUTE_PERMISSIONS } from './auth/route-guard.js';
import { Budget } from './budget.js';
import { EntityRowLimitError, parseFeastRequest, screenFeastRequest } from './feast-request.js';
import { feastErrorJson, feastResponseJson } from './feast-response.js';
import { parseIncrementalRequest, parseMaterializeRequest } from './materialize-request.js';
import type { Materializer, MaterializeRun } from './materializer.js';
import { MaterializerUnavailableError } from './materializer.js';
import { ServerMetrics } from './metrics.js';
import type { ConsistencyGaugeSource } from './metrics.js';
import { parseOnlineWriteRequest, parsePushRequest, PUSH_BODY_LIMIT, toOnlineWriteResponse, toPushResponse } from './push-request.js';
import { defined } from '../contracts/defined.js';
import { addUiRoutes } from './ui/ui-routes.js';
import type { UiOptions } from './ui/ui-routes.js';

/**
 * DuckDB threads for a process that only serves (floe.yaml's `engine.threads` overrides it). Each
 * request's read is a query over one row group: concurrent requests keep the cores busy, and a
 * second thread per query only adds handoffs. At 10M entities, 8 connections, 2 cores: 1 key p99
 * 27 ms at 615 req/s with DuckDB's default (2) against 21–22 ms at 690–697 req/s with 1.
 */
export const FEATURE_SERVER_THREADS = 1;

/**
 * The engine defaults of a process that only serves. Its allocator gives freed memory back as every
 * engine's does: keeping it for the next reads (DuckDB's own allocator settings) made bench online
 * --quick slower in 3 alternating runs of 3: 1 key p99 3.3–15.8 ms against 1.7–2.8 ms.
 */
export const FEATURE_SERVER_ENGINE = { threads: FEATURE_SERVER_THREADS } as const;

export interface FeatureServerOptions {
  readonly store: OnlineStore;
  /** Largest request body accepted, in bytes; by default 256 bytes per entity row allowed (at least 1 MiB). */
  readonly bodyLimit?: number;
  /** Entity rows one request may ask for (`server.maxEntityRows`); more is a 413. */
  readonly maxEntityRows?: number;
  /** Fastify's request log; off by default (a log line per request costs more than a read). */
  readonly logger?: boolean;
  /** The consistency report table behind the `floe_online_offline_mismatch_rate` gauge (read on scrape); no gauge without it. */
  readonly consistency?: ConsistencyGaugeSource;
  /** Who may call which route (floe.yaml's `server.auth`); without it every route is open. */
  readonly auth?: ServerAuthInput;
  /** HTTPS with this certificate and key (PEM); plain HTTP without. */
  readonly tls?: { readonly cert: string | Buffer; readonly key: string | Buffer };
  /** How long a request may take to arrive and a connection may idle; {@link SERVER_TIMEOUTS} unless told. */
  readonly timeouts?: Partial<ServerTimeouts>;
  /** Where the log goes: every 5xx with its (redacted) cause, and with `logger` every request. stderr unless told. */
  readonly logStream?: NodeJS.WritableStream;
  /** Starts materialization workflows for `POST /materialize` and `/materialize-incremental`; without it they answer 503. */
  readonly materializer?: Materializer;
  /**
   * The writer of `POST /push` and `/write-to-online-store`, which the caller drains once the server
   * is closed: a process serving the offline endpoint too gives both the same one, so their rows share
   * one group commit. Without it the server makes its own from `push` and drains it on close.
   */
  readonly pusher?: Pusher;
  /** How the server's own pusher writes: floe.yaml's `push` section, and scratch space (the catalog's process caches' scratch root when absent). */
  readonly push?: { readonly config?: Partial<PushConfig>; readonly workDirectory?: string };
  /** Serves the web UI under `/ui` (catalog, lineage, freshness) from this registry; no UI without it. */
  readonly ui?: UiOptions;
}

export interface ServerTimeouts {
  /** A request's headers must arrive whole within this. */
  readonly headersMs: number;
  /** A request, headers and body, must arrive whole within this; past it the connection is closed (408). */
  readonly requestMs: number;
  /** A kept-alive connection waiting for its next request is closed after this. */
  readonly keepAliveMs: number;
  /** A connection on which nothing moves (no bytes either way) is closed after this. */
  readonly idleMs: number;
}

/**
 * Bounds that end slow or stalled clients (a body sent a byte at a time held connections for minutes
 * before them): generous for a 32 MiB push over a slow link, short enough that idle or trickling
 * connections do not pile up.
 */
export const SERVER_TIMEOUTS: ServerTimeouts = { headersMs: 10_000, requestMs: 30_000, keepAliveMs: 5_000, idleMs: 60_000 };

const BODY_BYTES_PER_ENTITY_ROW = 256;

/**
 * Bodies read as JSON besides `application/json`: Feast's documented `curl -X POST … -d '{…}'`
 * sends `application/x-www-form-urlencoded`, and other clients send `text/plain` (or no
 * Content-Type at all, accepted too).
 */
const JSON_BODY_TYPES = ['application/json', 'text/plain', 'application/x-www-form-urlencoded'] as const;

/**
 * The HTTP feature server, shaped like Feast's: `POST /get-online-features`, `POST /push`, `GET /health`,
 * `GET /metrics` (Prometheus). Errors are Feast's error detail (a JSON string of `{module, class,
 * message, error}`, which Feast's client raises as its own exception) with a 4xx for anything the
 * caller can fix (malformed body, unknown view or feature, bad key) and a bare 500 otherwise;
 * never a stack trace.
 */
export function createFeatureServer(options: FeatureServerOptions): FastifyInstance {
  const { store } = options;
  const limits = { maxEntityRows: options.maxEntityRows ?? DEFAULT_MAX_ENTITY_ROWS };
  // A body larger than the rows allowed can need is refused before it is read or parsed: parsing
  // 8 MB of JSON alone holds ~150 MB and the event loop for ~0.4 s.
  const bodyLimit = options.bodyLimit ?? Math.max(1024 * 1024, limits.maxEntityRows * BODY_BYTES_PER_ENTITY_ROW);
  const metrics = new ServerMetrics({
    ...defined({ consistency: options.consistency }),
    freshness: { read: () => store.freshness() },
    rowStore: () => store.stats().rowStore,
  });
  const app = fastifyServer(options, bodyLimit);
  const auth = options.auth === undefined ? undefined : serverAuthConfigSchema.parse(options.auth);
  guardRoutes(app, auth === undefined ? {} : { authenticator: createAuthenticator(auth), metricsOpen: auth.metricsOpen });
  addJsonBodyParsers(app);
  app.addHook('onResponse', async (request, reply) => {
    metrics.observeRequest(request.routeOptions.url ?? 'unknown', request.method, reply.statusCode, reply.elapsedTime / 1000);
  });
  addFeastRoutes(app, { store, pusher: listenedPusher(app, options, metrics), metrics, limits, bodyLimit });
  addMaterializeRoutes(app, options.materializer, store);
  if (options.ui !== undefined) addUiRoutes(app, options.ui);
  const { open, metrics: metricsPermission } = ROUTE_PERMISSIONS;
  app.get('/health', { config: { permission: open } }, async () => ({ status: 'ok' }));
  app.get('/metrics', { config: { permission: metricsPermission } }, async (_request, reply) =>
    reply.type(metrics.registry.contentType).send(await metrics.registry.metrics()),
  );
  addErrorAnswers(app, { ...limits, bodyLimit }, store.catalog.redactor);
  return app;
}

/** Bodies are JSON whatever their declared type among JSON_BODY_TYPES (or none); big integers parse exactly. */
function addJsonBodyParsers(app: FastifyInstance): void {
  // Entity keys and pushed longs may be 64-bit, decimals longer than a double: every number parses exactly.
  const parseJsonBody = (body: string): unknown => {
    try {
      return body.length === 0 ? undefined : parseExactJson(body);
    } catch (error) {
      throw new FloeError('invalid-input', `The request body is not valid JSON: ${(error as Error).message}`);
    }
  };
  app.removeAllContentTypeParsers();
  for (const type of JSON_BODY_TYPES)
    app.addContentTypeParser(type, { parseAs: 'string' }, async (_request: FastifyRequest, body: string | Buffer) =>
      parseJsonBody(body as string),
    );
  // `*` is also the parser Fastify uses for a body without a Content-Type, read as JSON too; a named type none of the above is refused.
  app.addContentTypeParser('*', { parseAs: 'string' }, async (request: FastifyRequest, body: string | Buffer) => {
    const type = request.headers['content-type'];
    if (type === undefined) return parseJsonBody(body as string);
    throw Object.assign(
      new Error(`The request body's Content-Type ${type} is not one the feature server reads; send JSON as ${JSON_BODY_TYPES[0]}`),
      { statusCode: 415 },
    );
  });
}

/** Feast's online routes: reads, pushes and online writes. */
function addFeastRoutes(
  app: FastifyInstance,
  {
    store,
    pusher,
    metrics,
    limits,
    bodyLimit,
  }: { store: OnlineStore; pusher: Pusher; metrics: ServerMetrics; limits: { maxEntityRows: number }; bodyLimit: number },
): void {
  // Memory stays bounded however many requests arrive at once: bodies are read while their
  // declared bytes fit in the body limit (the rest wait with their bodies unread), and lookups run
  // while their entity rows fit in twice the row limit. Answering is single-threaded work anyway,
  // so more at once would only hold more memory; a small request slips past large ones that do
  // not fit. (Measured: test/integration/online/feature-server-limits.test.ts.)
  const bodyBytes = new Budget(bodyLimit);
  const entityRows = new Budget(2 * limits.maxEntityRows);
  const readBodyWithinBudget = async (request: FastifyRequest, reply: FastifyReply): Promise<void> => {
    const declared = Number(request.headers['content-length']);
    // Unknown (chunked): as much as may come. Over the limit: refused unread, so nothing to hold.
    const weight = !Number.isFinite(declared) ? bodyLimit : declared > bodyLimit ? 0 : declared;
    releaseOnClose(reply, await bodyBytes.take(weight));
  };

  const { feastRead, feastPush, feastWrite } = ROUTE_PERMISSIONS;
  app.post('/get-online-features', { onRequest: readBodyWithinBudget, config: { permission: feastRead } }, async (request, reply) => {
    releaseOnClose(reply, await entityRows.take(screenFeastRequest(request.body, limits)));
    const { request: online, fullFeatureNames } = parseFeastRequest(request.body, limits);
    const response = await store.getOnlineFeatures(online);
    // Let requests that arrived meanwhile in before serializing a large answer.
    await new Promise((resolve) => setImmediate(resolve));
    metrics.observeResponse(response);
    return reply.type('application/json').send(feastResponseJson(response, { fullFeatureNames }));
  });

  app.post('/push', { bodyLimit: Math.max(bodyLimit, PUSH_BODY_LIMIT), config: { permission: feastPush } }, async (request, reply) => {
    const answer = await pusher.push(parsePushRequest(request.body));
    return reply.type('application/json').send(stringifyLossless(toPushResponse(answer)));
  });

  // Feast's remote online store writes here: FeatureStore.write_to_online_store, and push to "online".
  app.post(
    '/write-to-online-store',
    { bodyLimit: Math.max(bodyLimit, PUSH_BODY_LIMIT), config: { permission: feastWrite } },
    async (request, reply) => {
      const answer = await pusher.writeToOnlineStore(parseOnlineWriteRequest(request.body));
      return reply.type('application/json').send(stringifyLossless(toOnlineWriteResponse(answer)));
    },
  );
}

/**
 * The server's writer (the one given, else its own), whose commits the server's store reads at once
 * (other replicas within refreshIntervalMs) and whose late events its metrics count, whichever
 * endpoint pushed them; the server stops listening when it closes, and drains only a pusher it made.
 */
function listenedPusher(app: FastifyInstance, options: FeatureServerOptions, metrics: ServerMetrics): Pusher {
  const { store, push } = options;
  const pusher =
    options.pusher ??
    new Pusher(
      {
        registry: store.registry,
        catalog: store.catalog,
        engine: store.engine,
        workDirectory: push?.workDirectory ?? store.catalog.caches.scratchRoot,
      },
      push?.config,
    );
  const stopListening = pusher.listen({
    committed: (tables) => store.refreshTables(tables),
    late: (pushSource, late) => metrics.observeLatePush(pushSource, late),
  });
  app.addHook('onClose', async () => {
    if (options.pusher === undefined) await pusher.drain();
    stopListening();
  });
  return pusher;
}

/**
 * Feast's POST /materialize and /materialize-incremental, with its contract (Feast 0.67's feature
 * server, whose client's materialize delegates here when both its stores are remote): with
 * `?async=true`, 202 once the workflows are started, with their ids; without, 200 once they have
 * finished and this server reads their rows.
 */
function addMaterializeRoutes(app: FastifyInstance, configured: Materializer | undefined, store: FeatureServerOptions['store']): void {
  const materializer = (): Materializer => {
    if (configured !== undefined) return configured;
    throw new MaterializerUnavailableError(
      "This feature server starts no workflows: it was created without a Temporal client (createFeatureServer's materializer option; floe serve makes one from floe.yaml's temporal section). Run floe materialize instead",
    );
  };
  const answer = async (request: FastifyRequest, reply: FastifyReply, runs: MaterializeRun[]) => {
    if ((request.query as Record<string, unknown> | undefined)?.async === 'true')
      return reply.code(202).send(materializeAnswer(runs, 'accepted'));
    await materializer().waitFor(runs);
    await store.refresh();
    return reply.code(200).send(materializeAnswer(runs, 'completed'));
  };
  const { feastMaterialize } = ROUTE_PERMISSIONS;
  app.post('/materialize', { config: { permission: feastMaterialize } }, async (request, reply) =>
    answer(request, reply, await materializer().materialize(parseMaterializeRequest(request.body))),
  );
  app.post('/materialize-incremental', { config: { permission: feastMaterialize } }, async (request, reply) =>
    answer(request, reply, await materializer().materializeIncremental(parseIncrementalRequest(request.body))),
  );
}

/** Unknown routes and failures answer as Feast's error detail; a 5xx is logged with its cause, redacted by the process's `redactor`. */
function addErrorAnswers(app: FastifyInstance, limits: Limits, redactor: Redactor): void {
  app.setNotFoundHandler(async (request, reply) =>
    reply
      .code(404)
      .type('application/json')
      .send(
        feastErrorJson(
          404,
          'not-found',
          redactor.redact(
            `No route ${request.method} ${request.url}; the feature server serves POST /get-online-features, POST /push, POST /write-to-online-store, POST /materialize, POST /materialize-incremental, GET /health, GET /metrics and the web UI under GET /ui`,
          ),
        ),
      ),
  );

  app.setErrorHandler(async (error: FastifyError | FloeError | Error, request, reply) => {
    const { status, body } = describeError(
      error,
      { ...limits, bodyLimit: request.routeOptions.bodyLimit ?? limits.bodyLimit },
      request,
      redactor,
    );
    if (status >= 500)
      request.log.error({ status, route: `${request.method} ${request.url}`, cause: redactor.redactValue(error) }, 'request failed');
    return reply
      .code(status)
      .type('application/json')
      .send(feastErrorJson(status, body.error, body.message));
  });
}

/** Feast's answer (`status`, `feature_views`), with each workflow's id. */
function materializeAnswer(runs: readonly MaterializeRun[], status: 'accepted' | 'completed'): Record<string, unknown> {
  return {
    status,
    feature_views: runs.map((run) => run.featureView),
    workflows: runs.map((run) => ({ feature_view: run.featureView, workflow_id: run.workflowId, run_id: run.runId })),
  };
}

/**
 * Fastify with the timeouts, TLS and log. Node checks the request and headers timeouts every
 * `connectionsCheckingInterval` (30 s by default, which would let a trickling body live that much
 * past its bound): here a tenth of the request bound, at most a second.
 */
function fastifyServer(options: FeatureServerOptions, bodyLimit: number): FastifyInstance {
  const timeouts = { ...SERVER_TIMEOUTS, ...options.timeouts };
  const nodeServerOptions = {
    headersTimeout: Math.min(timeouts.headersMs, timeouts.requestMs),
    requestTimeout: timeouts.requestMs,
    connectionsCheckingInterval: Math.max(10, Math.min(1_000, Math.floor(timeouts.requestMs / 10))),
  };
  const settings = {
    // Below `error` only when asked: a log line per request costs more than a read.
    logger: { level: options.logger === true ? 'info' : 'error', stream: options.logStream ?? process.stderr },
    bodyLimit,
    requestTimeout: timeouts.requestMs,
    keepAliveTimeout: timeouts.keepAliveMs,
    connectionTimeout: timeouts.idleMs,
  };
  // An HTTPS Fastify has its own instance type; the routes and hooks are the same.
  if (options.tls !== undefined)
    return Fastify({
      ...settings,
      https: { ...nodeServerOptions, cert: options.tls.cert, key: options.tls.key },
    }) as unknown as FastifyInstance;
  return Fastify({ ...settings, http: nodeServerOptions });
}

/** Gives a budget back once the response is sent or the connection is gone, whichever comes first. */
function releaseOnClose(reply: FastifyReply, release: () => void): void {
  if (reply.raw.closed) release();
  else reply.raw.once('close', release);
}

interface Limits {
  readonly maxEntityRows: number;
  readonly bodyLimit: number;
}

function describeError(
  error: unknown,
  limits: Limits,
  request: FastifyRequest,
  redactor: Redactor,
): { status: number; body: { error: string; message: string } } {
  const { status, body } = describeUnredacted(error, limits, request);
  return { status, body: { error: body.error, message: redactor.redact(body.message) } };
}

function describeUnredacted(
  error: unknown,
  limits: Limits,
  request: FastifyRequest,
): { status: number; body: { error: string; message: string } } {
  if (error instanceof EntityRowLimitError) return { status: 413, body: { error: 'too-many-entity-rows', message: error.message } };
  if (error instanceof RequestIdConflictError) return { status: 409, body: { error: 'request-id-conflict', message: error.message } };
  if (error instanceof MaterializerUnavailableError)
    return { status: 503, body: { error: 'temporal-unavailable', message: error.message } };
  if (error instanceof PushOverloadedError) return { status: 503, body: { error: 'push-overloaded', message: error.detail } };
  if ((error as FastifyError).code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
    return {
      status: 413,
      body: {
        error: 'body-too-large',
        message:
          request.routeOptions.url === '/get-online-features'
            ? `The request body is larger than the feature server accepts (${limits.bodyLimit} bytes, sized for server.maxEntityRows = ${limits.maxEntityRows} entity rows). Send the rows in smaller batches`
            : `The request body is larger than ${request.method} ${request.routeOptions.url ?? request.url} accepts (${limits.bodyLimit} bytes). Send the rows in smaller batches`,
      },
    };
  }
  if (FloeError.is(error)) {
    if (error.kind === 'not-found') return { status: 404, body: { error: error.kind, message: error.message } };
    if (error.kind === 'invalid-input' || error.kind === 'unsupported')
      return { status: 400, body: { error: error.kind, message: error.message } };
    return { status: 500, body: { error: error.kind, message: error.message } };
  }
  const status = (error as { statusCode?: unknown }).statusCode;
  if (typeof status === 'number' && status >= 400 && status < 500) {
    return { status, body: { error: 'invalid-input', message: (error as Error).message } };
  }
  return { status: 500, body: { error: 'internal', message: 'The feature server failed to answer; see its log' } };
}
