// The redaction step: known secrets in every form they travel in, secret-looking values whoever
// sent them, server error text cut to one line, and the places that use it (floe.yaml's secrets,
// REST errors, activity failures, the worker's log).
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { beforeEach, describe, test } from 'node:test';
import { ApplicationFailure } from '@temporalio/common';
import type { LogEntry } from '@temporalio/worker';
import { toActivityFailure } from '../../../activities/activity-support.js';
import { readProjectConfig } from '../../../features/config.js';
import { RestCatalog } from '../../../iceberg/catalog/rest-catalog.js';
import { errorFor } from '../../../iceberg/catalog/rest-http.js';
import { tableMetadataToJson } from '../../../iceberg/spec/metadata-json.js';
import { newTableMetadata } from '../../../iceberg/spec/new-table-metadata.js';
import { FloeError } from '../../../core/errors.js';
import { redactPatterns, Redactor, serverErrorText } from '../../../core/redaction.js';
import { RedactingLogger } from '../../../workers/logger.js';
import { scratchFolder } from '../../support/scratch-folder.js';

const TOKEN = 'tok-3f9a1c7e-secret';
const PASSWORD = 'p@ss "w/rd"%&é';

let redactor: Redactor;
beforeEach(() => {
  redactor = new Redactor();
});

describe('redact', () => {
  test('removes a registered secret wherever it appears, however often', () => {
    redactor.register([TOKEN]);
    assert.equal(redactor.redact(`bad token ${TOKEN}; again:${TOKEN}.`), 'bad token [redacted]; again:[redacted].');
  });

  test('removes the URL-encoded, form-encoded, JSON-escaped and base64 forms of a password', () => {
    redactor.register([PASSWORD]);
    const forms = [
      encodeURIComponent(PASSWORD),
      encodeURIComponent(PASSWORD).replace(/%[0-9A-F]{2}/g, (escape) => escape.toLowerCase()),
      new URLSearchParams({ p: PASSWORD }).toString().slice(2),
      JSON.stringify(PASSWORD).slice(1, -1),
      Buffer.from(PASSWORD).toString('base64'),
    ];
    for (const form of forms) {
      assert.notEqual(form, PASSWORD);
      const text = redactor.redact(`connecting with ${form} failed`);
      assert.equal(text, 'connecting with [redacted] failed', form);
    }
  });

  test('removes bearer tokens, URL passwords and password parameters it was never told about', () => {
    assert.equal(
      redactor.redact('header Authorization: Bearer abc.def-ghi was refused'),
      'header Authorization: Bearer [redacted] was refused',
    );
    assert.equal(
      redactor.redact('cannot reach postgresql://floe:hunter22@db.internal:5432/iceberg'),
      'cannot reach postgresql://floe:[redacted]@db.internal:5432/iceberg',
    );
    assert.equal(redactor.redact('GET /x?client_secret=abcdef&scope=catalog'), 'GET /x?client_secret=[redacted]&scope=catalog');
    assert.equal(
      redactor.redact('{"access_token": "eyJhbGciOi", "expires_in": 3600}'),
      '{"access_token": "[redacted]", "expires_in": 3600}',
    );
  });

  test('leaves text without secrets alone, and ignores secrets too short to match safely', () => {
    redactor.register(['abc', '', undefined, null]);
    const text = 'Could not load table rides.abc: HTTP 404 NoSuchTableException (table=rides.abc, status=404)';
    assert.equal(redactor.redact(text), text);
  });

  test('a secret containing another is removed whole', () => {
    redactor.register(['secret-one', 'secret-one-two']);
    assert.equal(redactor.redact('x secret-one-two y secret-one z'), 'x [redacted] y [redacted] z');
  });
});

describe('Redactor instances', () => {
  test('each redacts the secrets registered on it, not those of another', () => {
    const other = new Redactor();
    redactor.register([TOKEN]);
    other.register(['other-secret-77']);
    const text = `a ${TOKEN} b other-secret-77`;
    assert.equal(redactor.redact(text), 'a [redacted] b other-secret-77');
    assert.equal(other.redact(text), `a ${TOKEN} b [redacted]`);
    assert.equal(new Redactor().redact(text), text);
  });

  test("redactPatterns needs no instance: bearer tokens, URL passwords and password parameters, not a registered secret's text", () => {
    redactor.register([TOKEN]);
    assert.equal(
      redactPatterns(`Bearer abc.def-ghi, postgresql://u:hunter22@h/db, password=x1y2 and ${TOKEN}`),
      `Bearer [redacted], postgresql://u:[redacted]@h/db, password=[redacted] and ${TOKEN}`,
    );
  });

  test('floe.yaml read with one redactor leaves another knowing nothing', async (t) => {
    const file = path.join(scratchFolder('redaction', t), 'floe.yaml');
    await writeFile(file, ['project: p', 'catalog:', '  type: rest', '  uri: http://127.0.0.1:1/', `  token: ${TOKEN}`].join('\n'));
    const other = new Redactor();
    await readProjectConfig(file, {}, redactor);
    assert.equal(redactor.redact(TOKEN), '[redacted]');
    assert.equal(other.redact(TOKEN), TOKEN);
  });
});

describe('errors and values', () => {
  test('the messages of nested causes are redacted, at every depth', () => {
    redactor.register([TOKEN]);
    const inner = new Error(`server said: invalid token ${TOKEN}`);
    const middle = new FloeError('catalog', 'Could not load table rides.t', { cause: inner });
    const outer = new Error(`wrapped (${encodeURIComponent(TOKEN)})`, { cause: middle });
    assert.deepEqual(redactor.redactValue(outer), {
      name: 'Error',
      message: 'wrapped ([redacted])',
      cause: {
        name: 'FloeError',
        message: 'Could not load table rides.t',
        cause: { name: 'Error', message: 'server said: invalid token [redacted]' },
      },
    });
    assert.equal(redactor.redactedMessage(inner), 'server said: invalid token [redacted]');
    const failure = toActivityFailure(outer, redactor) as ApplicationFailure;
    const messages: string[] = [];
    for (let current: unknown = failure; current instanceof Error; current = current.cause) messages.push(current.message);
    assert.deepEqual(messages, ['wrapped ([redacted])', 'Could not load table rides.t', 'server said: invalid token [redacted]']);
  });

  test('values for logs: strings redacted at any depth, errors reduced to name and message without their stack', () => {
    redactor.register([TOKEN]);
    const value = redactor.redactValue({
      attempt: 2,
      request: { headers: [`Bearer-less ${TOKEN}`] },
      error: new Error(`echo ${TOKEN}`, { cause: new Error(TOKEN) }),
    });
    assert.deepEqual(value, {
      attempt: 2,
      request: { headers: ['Bearer-less [redacted]'] },
      error: { name: 'Error', message: 'echo [redacted]', cause: { name: 'Error', message: '[redacted]' } },
    });
    assert.doesNotMatch(JSON.stringify(value), /\.ts:\d+|at /);
  });
});

describe('serverErrorText', () => {
  const javaPage = [
    '<html><head><meta http-equiv="Content-Type" content="text/html"/>',
    '<title>Error 500 Server Error</title></head>',
    '<body><h2>HTTP ERROR 500</h2><pre>java.lang.IllegalStateException: boom',
    '\tat org.apache.iceberg.rest.RESTCatalogServlet.execute(RESTCatalogServlet.java:101)',
    '\tat org.eclipse.jetty.servlet.ServletHolder.handle(ServletHolder.java:799)</pre></body></html>',
  ].join('\n');

  test('an HTML page is its title', () => {
    assert.equal(serverErrorText(javaPage, redactor), 'Error 500 Server Error');
  });

  test('plain text is its first line that is not a stack frame, cut to 200 characters', () => {
    assert.equal(
      serverErrorText('\n\tat com.x.Y.z(Y.java:1)\njava.lang.RuntimeException: no\n\tat com.x.Y.z(Y.java:1)\nCaused by: x', redactor),
      'java.lang.RuntimeException: no',
    );
    assert.equal(serverErrorText('x'.repeat(500), redactor), `${'x'.repeat(200)}…`);
  });

  test('what a server echoes is redacted', () => {
    redactor.register([TOKEN]);
    assert.equal(serverErrorText(`invalid token ${TOKEN}\nmore`, redactor), 'invalid token [redacted]');
  });
});

describe('REST catalog errors', () => {
  const request = {
    method: 'GET' as const,
    path: '/v1/namespaces/rides/tables/t',
    what: 'load table rides.t',
    context: { catalog: 'lake', table: 'rides.t' },
  };

  test("a 400 whose message echoes the token names the table and the server's type, not the token", () => {
    redactor.register([TOKEN]);
    const body = JSON.stringify({
      error: {
        message: `Malformed request for token ${TOKEN}\nmore detail`,
        type: 'BadRequestException',
        code: 400,
        stack: ['at org.apache.Foo.bar(Foo.java:1)'],
      },
    });
    const error = errorFor(400, body, request, redactor);
    assert.equal(
      error.message,
      'Could not load table rides.t: HTTP 400 BadRequestException: Malformed request for token [redacted] (catalog=lake, table=rides.t, status=400)',
    );
    assert.equal(error.kind, 'invalid-input');
  });

  test('an HTML 500 page is reduced to its title', () => {
    const error = errorFor(
      500,
      '<html><head><title>Error 500 Server Error</title></head><body><pre>java.lang.NullPointerException\n\tat org.X.y(X.java:3)</pre></body></html>',
      request,
      redactor,
    );
    assert.equal(error.message, 'Could not load table rides.t: HTTP 500 Error 500 Server Error (catalog=lake, table=rides.t, status=500)');
  });
});

describe('REST catalog credentials', () => {
  test("credentials a table is vended are registered on the catalog's redactor, and on no other", async () => {
    const vended = 'vended-secret-key-5e21';
    const metadata = newTableMetadata({
      location: 's3://bucket/rides/t',
      schema: { schemaId: 0, identifierFieldIds: [], fields: [{ id: 1, name: 'id', required: true, type: 'long' }] },
      nowMs: 0,
    });
    const answers: Record<string, unknown> = {
      '/v1/config': { defaults: {}, overrides: {} },
      '/v1/namespaces/rides/tables/t': {
        'metadata-location': 's3://bucket/rides/t/metadata/00000-x.metadata.json',
        metadata: tableMetadataToJson(metadata),
        config: { 's3.access-key-id': 'AKIAEXAMPLE', 's3.secret-access-key': vended },
      },
    };
    const fakeFetch = (async (input: string | URL | Request) => {
      const body = answers[new URL(String(input)).pathname];
      return new Response(JSON.stringify(body ?? {}), {
        status: body === undefined ? 404 : 200,
        headers: { 'Content-Type': 'application/json' },
      });
    }) as typeof fetch;
    const catalog = await RestCatalog.open({ name: 'lake', uri: 'http://catalog.invalid', fetch: fakeFetch, redactor });
    const other = new Redactor();
    const own = await RestCatalog.open({ name: 'lake', uri: 'http://catalog.invalid', fetch: fakeFetch });
    try {
      assert.equal(catalog.redactor, redactor);
      assert.equal(redactor.redact(vended), vended, 'nothing vended yet');
      await catalog.loadTable({ namespace: ['rides'], name: 't' });
      assert.equal(redactor.redact(`key ${vended}`), 'key [redacted]');
      assert.equal(redactor.redact('AKIAEXAMPLE'), 'AKIAEXAMPLE', 'an access key id is not a secret');
      assert.equal(other.redact(vended), vended);
      assert.notEqual(own.redactor, redactor);
      assert.equal(own.redactor.redact(vended), vended, "another catalog's redactor learns nothing of this catalog's tables");
    } finally {
      await catalog.close();
      await own.close();
    }
  });
});

describe('floe.yaml secrets', () => {
  test("the catalog's token, S3 secret key, header values and Postgres passwords are registered when the file is read", async (t) => {
    const directory = scratchFolder('redaction', t);
    const file = path.join(directory, 'floe.yaml');
    await writeFile(
      file,
      [
        'project: p',
        'catalog:',
        '  type: rest',
        '  uri: http://127.0.0.1:1/',
        '  token: ${CATALOG_TOKEN}',
        '  headers:',
        '    X-Api-Key: ${API_KEY}',
        '  s3:',
        '    accessKeyId: AKIAEXAMPLEKEY',
        '    secretAccessKey: ${S3_SECRET}',
      ].join('\n'),
    );
    const config = await readProjectConfig(
      file,
      { CATALOG_TOKEN: TOKEN, API_KEY: 'key-8c1d2e', S3_SECRET: 'wJalrXUtnFEMI/K7MDENG' },
      redactor,
    );
    assert.equal(config.server.maxEntityRows, 10_000);
    assert.equal(redactor.redact(`${TOKEN} key-8c1d2e ${encodeURIComponent('wJalrXUtnFEMI/K7MDENG')}`), '[redacted] [redacted] [redacted]');
    assert.equal(redactor.redact('AKIAEXAMPLEKEY'), 'AKIAEXAMPLEKEY', 'an access key id names a key; it is not a secret');

    await writeFile(
      file,
      [
        'project: p',
        'catalog:',
        '  type: sql',
        `  uri: postgresql://floe:${encodeURIComponent(PASSWORD)}@db.internal:5432/iceberg`,
        'server:',
        '  maxEntityRows: ${ROWS}',
      ].join('\n'),
    );
    const postgres = await readProjectConfig(file, { ROWS: '500' }, redactor);
    assert.equal(postgres.server.maxEntityRows, 500);
    assert.equal(redactor.redact(`auth failed for ${PASSWORD}`), 'auth failed for [redacted]');
  });

  test('server.maxEntityRows must be a positive whole number', async (t) => {
    const directory = scratchFolder('redaction', t);
    const file = path.join(directory, 'floe.yaml');
    await writeFile(file, ['project: p', 'catalog:', '  type: sql', '  uri: catalog.db', 'server:', '  maxEntityRows: 0'].join('\n'));
    await assert.rejects(readProjectConfig(file, {}), /server\.maxEntityRows/);
  });
});

describe('activity failures', () => {
  test('a FloeError becomes a failure with a redacted message, redacted causes and no stack', () => {
    redactor.register([TOKEN]);
    const error = new FloeError('catalog', `Could not load table rides.t: HTTP 400 token ${TOKEN}`, {
      context: { table: 'rides.t', echoed: TOKEN },
      cause: new Error(`inner ${TOKEN}`),
    });
    const failure = toActivityFailure(error, redactor) as ApplicationFailure;
    assert.ok(failure instanceof ApplicationFailure);
    assert.equal(failure.type, 'FloeError:catalog');
    assert.equal(failure.stack, '');
    assert.equal((failure.cause as Error).message, 'inner [redacted]');
    assert.equal((failure.cause as Error).stack, '');
    assert.doesNotMatch(JSON.stringify([failure.message, failure.details, (failure.cause as Error).message]), new RegExp(TOKEN));
  });

  test('any other error keeps its name as the type and stays retryable', () => {
    redactor.register([TOKEN]);
    const failure = toActivityFailure(new TypeError(`fetch failed ${TOKEN}`), redactor) as ApplicationFailure;
    assert.deepEqual(
      [failure.type, failure.nonRetryable, failure.message, failure.stack],
      ['TypeError', false, 'fetch failed [redacted]', ''],
    );
  });
});

describe("the worker's log", () => {
  test('messages and metadata are redacted; errors are logged without their stack', () => {
    redactor.register([TOKEN]);
    const entries: LogEntry[] = [];
    const logger = new RedactingLogger(redactor, 'INFO', (entry) => entries.push(entry));
    logger.warn(`Activity failed: ${TOKEN}`, { error: new Error(`echo ${TOKEN}`), activityType: 'planSource' });
    assert.equal(entries.length, 1);
    const text = JSON.stringify({ message: entries[0]!.message, meta: entries[0]!.meta });
    assert.doesNotMatch(text, new RegExp(TOKEN));
    assert.doesNotMatch(text, /\.ts:\d+/);
    assert.match(text, /planSource/);
  });
});
