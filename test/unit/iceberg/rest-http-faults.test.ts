/**
 * The REST client's bounded waits and fault classification, against a real HTTP server on a local
 * port: transient read failures are retried within the budget, a request that hangs times out, a
 * commit the server never saw (refused connection) is a plain I/O failure rather than an unknown
 * outcome, and a redirect is a named configuration error instead of "fetch failed".
 */
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, it } from 'node:test';
import { NO_AUTH } from '../../../iceberg/catalog/rest-auth.js';
import { RestHttp } from '../../../iceberg/catalog/rest-http.js';
import { FloeError } from '../../../core/errors.js';
import { closedPort } from '../../support/closed-port.js';
import { Redactor } from '../../../core/redaction.js';

async function serve(
  handler: (request: IncomingMessage, response: ServerResponse) => void,
): Promise<{ uri: string; server: Server; close: () => Promise<void> }> {
  const server = createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { uri: `http://127.0.0.1:${port}`, server, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

const noWait = async (): Promise<void> => undefined;

describe('REST client under faults', () => {
  it('a read answered 500 (a busy catalog) is retried within its budget and then succeeds', async () => {
    let calls = 0;
    const { uri, close } = await serve((_, response) => {
      calls += 1;
      if (calls <= 2) {
        response
          .writeHead(500, { 'Content-Type': 'application/json' })
          .end(JSON.stringify({ error: { message: 'SQLITE_BUSY', type: 'SQLException', code: 500 } }));
        return;
      }
      response.writeHead(200, { 'Content-Type': 'application/json' }).end('{"ok":true}');
    });
    try {
      const http = new RestHttp({ baseUri: uri, auth: NO_AUTH, redactor: new Redactor(), sleep: noWait });
      const answer = await http.send({ method: 'GET', path: '/v1/config', what: 'read the configuration' });
      assert.equal(answer.status, 200);
      assert.equal(calls, 3);
    } finally {
      await close();
    }
  });

  it('a read of a catalog that is down fails after the retry budget, retryable, naming what it did', async () => {
    const uri = `http://127.0.0.1:${await closedPort()}`;
    const http = new RestHttp({ baseUri: uri, auth: NO_AUTH, redactor: new Redactor(), retryBudgetMs: 1_500 });
    const started = Date.now();
    await assert.rejects(
      http.send({ method: 'GET', path: '/v1/namespaces/db/tables/t', what: 'load table db.t', context: { table: 'db.t' } }),
      (error: unknown) => {
        assert.ok(FloeError.is(error, 'io'), String(error));
        assert.equal(error.retryable, true);
        assert.match(error.message, /Could not load table db\.t: .*ECONNREFUSED/);
        assert.match(error.message, /table=db\.t/);
        return true;
      },
    );
    const elapsed = Date.now() - started;
    assert.ok(elapsed >= 500 && elapsed < 4_000, `gave up after ${elapsed} ms`);
  });

  it('a request that hangs times out instead of waiting for ever', async () => {
    const { uri, server, close } = await serve(() => undefined); // never answers
    try {
      const http = new RestHttp({ baseUri: uri, auth: NO_AUTH, redactor: new Redactor(), timeoutMs: 300, retryBudgetMs: 0 });
      await assert.rejects(
        http.send({ method: 'GET', path: '/v1/config', what: 'read the configuration' }),
        (error: unknown) => FloeError.is(error, 'io') && /timed out after 300 ms/.test(error.message),
      );
      const commit = http.send({
        method: 'POST',
        path: '/v1/namespaces/db/tables/t',
        body: {},
        what: 'commit to table db.t',
        context: { table: 'db.t' },
        commit: true,
      });
      await assert.rejects(
        commit,
        (error: unknown) => FloeError.is(error, 'commit-state-unknown'),
        'a commit that timed out may have landed',
      );
    } finally {
      server.closeAllConnections();
      await close();
    }
  });

  it('a commit to a catalog that refuses the connection was never sent: io, not an unknown outcome, and not retried here', async () => {
    const uri = `http://127.0.0.1:${await closedPort()}`;
    const http = new RestHttp({ baseUri: uri, auth: NO_AUTH, redactor: new Redactor(), sleep: noWait });
    await assert.rejects(
      http.send({
        method: 'POST',
        path: '/v1/namespaces/db/tables/t',
        body: {},
        what: 'commit to table db.t',
        context: { table: 'db.t' },
        commit: true,
      }),
      (error: unknown) => {
        assert.ok(FloeError.is(error, 'io'), String(error));
        assert.match(error.message, /refused the connection, so the commit was not sent/);
        return true;
      },
    );
  });

  it('a redirect is a named configuration error, not "fetch failed", and not retried', async () => {
    let calls = 0;
    const { uri, close } = await serve((_, response) => {
      calls += 1;
      response.writeHead(307, { Location: 'https://catalog.example.com/v1/config' }).end();
    });
    try {
      const http = new RestHttp({ baseUri: uri, auth: NO_AUTH, redactor: new Redactor(), sleep: noWait });
      await assert.rejects(
        http.send({ method: 'GET', path: '/v1/namespaces/db/tables/t', what: 'load table db.t', context: { table: 'db.t' } }),
        (error: unknown) => {
          assert.ok(FloeError.is(error, 'invalid-input'), String(error));
          assert.equal(error.retryable, false);
          assert.ok(error.message.includes(`${uri}/v1/namespaces/db/tables/t`), error.message);
          assert.match(error.message, /HTTP 307, a redirect to https:\/\/catalog\.example\.com\/v1\/config/);
          assert.match(error.message, /load table db\.t/);
          return true;
        },
      );
      assert.equal(calls, 1);
    } finally {
      await close();
    }
  });
  it('a cancelled commit to a catalog that holds it ends at once with the signal’s reason, not an error of the catalog', async () => {
    let received = 0;
    const { uri, server, close } = await serve((request) => {
      received += 1;
      request.resume(); // reads the commit, never answers
    });
    try {
      const http = new RestHttp({ baseUri: uri, auth: NO_AUTH, redactor: new Redactor() });
      const controller = new AbortController();
      const reason = new Error('the worker is shutting down');
      const sent = http.send({
        method: 'POST',
        path: '/v1/namespaces/db/tables/t',
        body: {},
        what: 'commit to table db.t',
        commit: true,
        signal: controller.signal,
      });
      while (received === 0) await new Promise((resolve) => setTimeout(resolve, 10));
      const started = Date.now();
      controller.abort(reason);
      await assert.rejects(sent, (error: unknown) => error === reason);
      assert.ok(Date.now() - started < 1_000, 'ended at once, not at the request timeout');
      assert.equal(received, 1);
    } finally {
      server.closeAllConnections();
      await close();
    }
  });

  it('a cancelled read stops retrying a catalog that is down', async () => {
    const uri = `http://127.0.0.1:${await closedPort()}`;
    const http = new RestHttp({ baseUri: uri, auth: NO_AUTH, redactor: new Redactor(), retryBudgetMs: 60_000 });
    const controller = new AbortController();
    const reason = new Error('cancelled');
    setTimeout(() => controller.abort(reason), 300);
    const started = Date.now();
    await assert.rejects(
      http.send({ method: 'GET', path: '/v1/config', what: 'read the configuration', signal: controller.signal }),
      (error: unknown) => error === reason,
    );
    assert.ok(Date.now() - started < 3_000, `stopped after ${Date.now() - started} ms, not at the 60 s budget`);
  });
});
