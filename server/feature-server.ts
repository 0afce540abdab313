import Fastify from 'fastify';
import type { FastifyError, FastifyInstance } from 'fastify';
import { parse as parseLossless, parseNumberAndBigInt, stringify as stringifyLossless } from 'lossless-json';
import type { OnlineStore } from '../features/online/index.js';
import { FloeError } from '../iceberg/errors.js';
import { parseFeastRequest } from './feast-request.js';
import { toFeastResponse } from './feast-response.js';
import { ServerMetrics } from './metrics.js';

export interface FeatureServerOptions {
  readonly store: OnlineStore;
  /** Largest request body accepted, in bytes. */
  readonly bodyLimit?: number;
  /** Fastify's request log; off by default (a log line per request costs more than a read). */
  readonly logger?: boolean;
}

/**
 * The HTTP feature server, shaped like Feast's: `POST /get-online-features`, `GET /health`,
 * `GET /metrics` (Prometheus). Errors are JSON `{error, message}` with a 4xx for anything the
 * caller can fix (malformed body, unknown view or feature, bad key) and a bare 500 otherwise;
 * never a stack trace.
 */
export function createFeatureServer(options: FeatureServerOptions): FastifyInstance {
  const { store } = options;
  const metrics = new ServerMetrics();
  const app = Fastify({ logger: options.logger ?? false, bodyLimit: options.bodyLimit ?? 10 * 1024 * 1024 });

  // Entity keys may be 64-bit: parse big integers exactly (as bigint) instead of rounding them.
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (_request, body, done) => {
    try {
      done(null, body.length === 0 ? undefined : parseLossless(body as string, null, parseNumberAndBigInt));
    } catch (error) {
      done(new FloeError('invalid-input', `The request body is not valid JSON: ${(error as Error).message}`), undefined);
    }
  });

  app.addHook('onResponse', async (request, reply) => {
    metrics.observeRequest(request.routeOptions.url ?? 'unknown', request.method, reply.statusCode, reply.elapsedTime / 1000);
  });

  app.post('/get-online-features', async (request, reply) => {
    const { request: online, fullFeatureNames } = parseFeastRequest(request.body);
    const response = await store.getOnlineFeatures(online);
    metrics.observeResponse(response);
    return reply.type('application/json').send(stringifyLossless(toFeastResponse(response, { fullFeatureNames })));
  });

  app.get('/health', async () => ({ status: 'ok' }));

  app.get('/metrics', async (_request, reply) => reply.type(metrics.registry.contentType).send(await metrics.registry.metrics()));

  app.setNotFoundHandler(async (request, reply) =>
    reply.code(404).send({ error: 'not-found', message: `No route ${request.method} ${request.url}; the feature server serves POST /get-online-features, GET /health and GET /metrics` }),
  );

  app.setErrorHandler(async (error: FastifyError | FloeError | Error, request, reply) => {
    const { status, body } = describeError(error);
    if (status >= 500) request.log.error({ err: error }, 'request failed');
    return reply.code(status).send(body);
  });

  return app;
}

function describeError(error: unknown): { status: number; body: { error: string; message: string } } {
  if (FloeError.is(error)) {
    if (error.kind === 'not-found') return { status: 404, body: { error: error.kind, message: error.message } };
    if (error.kind === 'invalid-input' || error.kind === 'unsupported') return { status: 400, body: { error: error.kind, message: error.message } };
    return { status: 500, body: { error: error.kind, message: error.message } };
  }
  const status = (error as { statusCode?: unknown }).statusCode;
  if (typeof status === 'number' && status >= 400 && status < 500) {
    return { status, body: { error: 'invalid-input', message: (error as Error).message } };
  }
  return { status: 500, body: { error: 'internal', message: 'The feature server failed to answer; see its log' } };
}
