// floe.yaml's temporal.tls and the FLOE_TEMPORAL_TLS_* / FLOE_TEMPORAL_API_KEY environment, and the
// SDK connection options the one connection helper makes of them: files read at connect time,
// the API key from the environment only (refused in the file), and no secret in an error.
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { before, describe, it } from 'node:test';
import { readProjectConfig } from '../../../features/config.js';
import { FloeError } from '../../../core/errors.js';
import { Redactor } from '../../../core/redaction.js';
import { temporalConnectionOptions } from '../../../workers/temporal-connection.js';
import { scratchFolder } from '../../support/scratch-folder.js';

const directory = scratchFolder('temporal-tls');
const CA = '-----BEGIN CERTIFICATE-----\nca\n-----END CERTIFICATE-----\n';
const CERT = '-----BEGIN CERTIFICATE-----\nclient\n-----END CERTIFICATE-----\n';
const KEY = '-----BEGIN PRIVATE KEY-----\nsecret-key-material\n-----END PRIVATE KEY-----\n';

before(async () => {
  await writeFile(path.join(directory, 'ca.pem'), CA);
  await writeFile(path.join(directory, 'client.pem'), CERT);
  await writeFile(path.join(directory, 'client.key'), KEY);
});

async function config(temporal: string, env: NodeJS.ProcessEnv = {}, redactor = new Redactor()) {
  const file = path.join(directory, 'floe.yaml');
  await writeFile(file, `project: p\ncatalog: { type: sql, name: c, uri: catalog.db, warehouse: wh }\ntemporal:\n${temporal}`);
  return readProjectConfig(file, env, redactor);
}

function refused(field: RegExp, ...also: RegExp[]) {
  return (error: unknown) => {
    assert.ok(FloeError.is(error, 'invalid-input'), String(error));
    assert.match(error.message, field);
    for (const pattern of also) assert.match(error.message, pattern);
    return true;
  };
}

describe('temporal.tls and temporal.apiKey in floe.yaml', () => {
  it('reads the TLS files relative to floe.yaml, and none means plaintext', async () => {
    const { temporal } = await config(
      '  address: t.example:7233\n  tls: { caFile: ca.pem, certFile: client.pem, keyFile: client.key, serverName: t.internal }\n',
    );
    assert.deepEqual(temporal.tls, {
      caFile: path.join(directory, 'ca.pem'),
      certFile: path.join(directory, 'client.pem'),
      keyFile: path.join(directory, 'client.key'),
      serverName: 't.internal',
    });
    assert.equal(temporal.apiKey, undefined);
    assert.equal((await config('  address: t.example:7233\n')).temporal.tls, undefined);
  });

  it('takes each TLS field from the environment over the file', async () => {
    const { temporal } = await config('  address: t.example:7233\n  tls: { caFile: ca.pem, serverName: from-file }\n', {
      FLOE_TEMPORAL_TLS_CA_FILE: '/etc/floe/ca.pem',
      FLOE_TEMPORAL_TLS_CERT_FILE: '/etc/floe/client.pem',
      FLOE_TEMPORAL_TLS_KEY_FILE: '/etc/floe/client.key',
      FLOE_TEMPORAL_TLS_SERVER_NAME: 'from-env',
    });
    assert.deepEqual(temporal.tls, {
      caFile: '/etc/floe/ca.pem',
      certFile: '/etc/floe/client.pem',
      keyFile: '/etc/floe/client.key',
      serverName: 'from-env',
    });
  });

  it('takes the API key from FLOE_TEMPORAL_API_KEY and redacts it from every message', async () => {
    const redactor = new Redactor();
    const { temporal } = await config('  address: t.example:7233\n', { FLOE_TEMPORAL_API_KEY: 'tk-env-only-0123456789' }, redactor);
    assert.equal(temporal.apiKey, 'tk-env-only-0123456789');
    assert.equal(redactor.redact('sent tk-env-only-0123456789'), 'sent [redacted]');
  });

  it('refuses an API key written in floe.yaml, even from ${VAR}, without repeating it', async () => {
    await assert.rejects(config('  address: t.example:7233\n  apiKey: tk-in-the-file-0123456789\n'), (error: unknown) => {
      refused(/temporal\.apiKey: is read from the FLOE_TEMPORAL_API_KEY environment variable only; remove it from floe\.yaml/)(error);
      assert.doesNotMatch((error as Error).message, /tk-in-the-file/);
      return true;
    });
    await assert.rejects(
      config('  address: t.example:7233\n  apiKey: ${MY_KEY}\n', { MY_KEY: 'tk-interpolated-0123456789' }),
      refused(/temporal\.apiKey/),
    );
  });

  it('refuses a client certificate without its key, from the file or the environment', async () => {
    await assert.rejects(
      config('  address: a:1\n  tls: { certFile: client.pem }\n'),
      refused(/temporal\.tls.*certFile and keyFile go together/),
    );
    await assert.rejects(
      config('  address: a:1\n', { FLOE_TEMPORAL_TLS_KEY_FILE: '/k.pem' }),
      refused(/temporal\.tls\.certFile and temporal\.tls\.keyFile go together/, /FLOE_TEMPORAL_TLS_CERT_FILE/),
    );
  });

  it('refuses an unknown TLS field, naming it', async () => {
    await assert.rejects(config('  address: a:1\n  tls: { caFlie: ca.pem }\n'), refused(/temporal\.tls/, /caFlie/));
  });
});

describe('the connection options of the one Temporal connection helper', () => {
  it('carries the files read at connect time, the server name and the API key', async () => {
    const options = await temporalConnectionOptions({
      address: 't.example:7233',
      tls: {
        caFile: path.join(directory, 'ca.pem'),
        certFile: path.join(directory, 'client.pem'),
        keyFile: path.join(directory, 'client.key'),
        serverName: 't.internal',
      },
      apiKey: 'tk-0123456789',
    });
    assert.equal(options.address, 't.example:7233');
    assert.equal(Buffer.from(options.tls!.serverRootCACertificate!).toString(), CA);
    assert.equal(Buffer.from(options.tls!.clientCertPair!.crt).toString(), CERT);
    assert.equal(Buffer.from(options.tls!.clientCertPair!.key).toString(), KEY);
    assert.equal(options.tls!.serverNameOverride, 't.internal');
    // The SDK sends it as `authorization: Bearer tk-0123456789` (and turns TLS on for it).
    assert.equal(options.apiKey, 'tk-0123456789');
  });

  it('is plaintext with neither TLS nor a key, and TLS with the system roots for `tls: {}`', async () => {
    assert.deepEqual(await temporalConnectionOptions({ address: 'a:1' }), { address: 'a:1' });
    assert.deepEqual(await temporalConnectionOptions({ address: 'a:1', tls: {} }), { address: 'a:1', tls: {} });
  });

  it('names the setting and the path of a file it cannot read, never a file content', async () => {
    const missing = path.join(directory, 'missing.key');
    await assert.rejects(
      temporalConnectionOptions({ address: 'a:1', tls: { certFile: path.join(directory, 'client.pem'), keyFile: missing } }),
      (error: unknown) => {
        refused(
          /Cannot read temporal\.tls\.keyFile/,
          new RegExp(missing.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')),
          /ENOENT/,
          /FLOE_TEMPORAL_TLS_KEY_FILE/,
        )(error);
        assert.doesNotMatch((error as Error).message, /BEGIN|secret-key-material/);
        return true;
      },
    );
  });
});
