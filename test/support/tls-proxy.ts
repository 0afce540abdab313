/**
 * A TLS endpoint in front of the real Temporal dev server, as a production cluster or Temporal
 * Cloud presents one: Debian's nginx terminating TLS over HTTP/2, requiring a client certificate
 * signed by the test's own CA (`ssl_verify_client on`) and, when asked, an API key as
 * `authorization: Bearer <key>`, then passing gRPC on to the dev server. The CA, server and client
 * certificates are made per proxy with the openssl CLI; `stop()` ends nginx and removes them.
 */
import { execFile } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { createConnection } from 'node:net';
import path from 'node:path';
import { promisify } from 'node:util';
import { freePort } from '../../scripts/services/ports.js';
import { startProcess, waitUntilHealthy } from '../../scripts/services/process.js';
import { nginxExecutable, temporalService } from './services.js';
import { scratchFolder } from './scratch-folder.js';

const run = promisify(execFile);

/** The name on the server's certificate: not the proxy's host, so a client must set temporal.tls.serverName. */
export const TLS_SERVER_NAME = 'temporal.floe.test';

export interface TlsProxy {
  /** host:port of the TLS endpoint. */
  readonly address: string;
  readonly caFile: string;
  readonly clientCertFile: string;
  readonly clientKeyFile: string;
  /** A certificate and key for the same name, signed by a CA nginx does not trust. */
  readonly strangerCertFile: string;
  readonly strangerKeyFile: string;
  /** nginx's error log, which records each refused certificate. */
  readonly errorLog: string;
  stop(): Promise<void>;
}

export async function startTlsProxy(options: { requireApiKey?: string } = {}): Promise<TlsProxy> {
  const nginx = nginxExecutable();
  const upstream = temporalService().address;
  const directory = scratchFolder('tls-proxy');
  const file = (name: string): string => path.join(directory, name);
  await makeCa(directory, 'ca');
  await makeCa(directory, 'stranger-ca');
  await makeLeaf(directory, 'server', 'ca', `subjectAltName=DNS:${TLS_SERVER_NAME}\nextendedKeyUsage=serverAuth`);
  await makeLeaf(directory, 'client', 'ca', 'extendedKeyUsage=clientAuth');
  await makeLeaf(directory, 'stranger', 'stranger-ca', 'extendedKeyUsage=clientAuth');
  const port = await freePort();
  const { requireApiKey } = options;
  await writeFile(
    file('nginx.conf'),
    `daemon off;
master_process off;
pid ${file('nginx.pid')};
error_log ${file('error.log')} info;
events { worker_connections 256; }
http {
  access_log off;
  client_body_temp_path ${file('body')};
  proxy_temp_path ${file('proxy')};
  fastcgi_temp_path ${file('fastcgi')};
  uwsgi_temp_path ${file('uwsgi')};
  scgi_temp_path ${file('scgi')};
  server {
  listen 127.0.0.1:${port} ssl http2;
  ssl_certificate ${file('server.crt')};
  ssl_certificate_key ${file('server.key')};
  ssl_client_certificate ${file('ca.crt')};
  ssl_verify_client on;
  # Workflow payloads and long polls (Temporal holds a poll up to 70 s).
  client_max_body_size 0;
  keepalive_requests 100000;
  keepalive_timeout 600s;
  grpc_read_timeout 600s;
  grpc_send_timeout 600s;
  location / {
${requireApiKey === undefined ? '' : `      if ($http_authorization != "Bearer ${requireApiKey}") { return 401; }\n`}      grpc_pass grpc://${upstream};
  }
  }
}
`,
  );
  const managed = startProcess({
    name: 'tls-proxy',
    command: nginx,
    args: ['-p', directory, '-c', file('nginx.conf'), '-e', file('error.log')],
    env: process.env,
    log: file('nginx.out'),
  });
  await waitUntilHealthy(managed, `TLS on 127.0.0.1:${port}`, () => acceptsConnections(port), 15_000).catch(async (error: unknown) => {
    await managed.stop();
    throw error;
  });
  return {
    address: `127.0.0.1:${port}`,
    caFile: file('ca.crt'),
    clientCertFile: file('client.crt'),
    clientKeyFile: file('client.key'),
    strangerCertFile: file('stranger.crt'),
    strangerKeyFile: file('stranger.key'),
    errorLog: file('error.log'),
    async stop() {
      await managed.stop();
    },
  };
}

async function openssl(directory: string, args: readonly string[]): Promise<void> {
  try {
    await run('openssl', args, { cwd: directory });
  } catch (error) {
    throw new Error(`openssl ${args[0] ?? ''} failed making the test certificates (is the openssl CLI installed?)`, { cause: error });
  }
}

const KEY = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes'];

async function makeCa(directory: string, name: string): Promise<void> {
  await openssl(directory, [
    'req',
    '-x509',
    ...KEY,
    '-keyout',
    `${name}.key`,
    '-out',
    `${name}.crt`,
    '-days',
    '2',
    '-subj',
    `/CN=floe test ${name}`,
  ]);
}

async function makeLeaf(directory: string, name: string, ca: string, extensions: string): Promise<void> {
  await writeFile(path.join(directory, `${name}.ext`), `basicConstraints=CA:FALSE\n${extensions}\n`);
  await openssl(directory, ['req', ...KEY, '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=floe test ${name}`]);
  await openssl(directory, [
    'x509',
    '-req',
    '-in',
    `${name}.csr`,
    '-CA',
    `${ca}.crt`,
    '-CAkey',
    `${ca}.key`,
    '-CAcreateserial',
    '-days',
    '2',
    '-extfile',
    `${name}.ext`,
    '-out',
    `${name}.crt`,
  ]);
}

function acceptsConnections(port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket = createConnection({ host: '127.0.0.1', port });
    socket.setTimeout(2_000, () => socket.destroy(new Error('no answer within 2 s')));
    socket.once('error', reject);
    socket.once('connect', () => {
      socket.end();
      resolve();
    });
  });
}
