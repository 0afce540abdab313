/**
 * Debian's nginx, the TLS endpoint that verifies client certificates in front of the Temporal dev
 * server in the Temporal TLS tests (grpc_pass over HTTP/2, `ssl_verify_client on`). Installed with
 * apt (as root, after `apt-get update`) when /usr/sbin/nginx is missing; each test starts its own
 * nginx with its own certificates (test/support/tls-proxy.ts), so there is no process to run here.
 */
import { existsSync } from 'node:fs';
import { aptInstall } from './apt.js';
import type { RunningService } from './service.js';

export const NGINX_PATH = '/usr/sbin/nginx';

export function nginxInstalled(): string | undefined {
  return existsSync(NGINX_PATH) ? NGINX_PATH : undefined;
}

export function installNginx(): Promise<string> {
  return aptInstall({
    name: 'nginx',
    why: 'the Temporal TLS tests put it, checking client certificates, in front of the Temporal dev server',
    installed: nginxInstalled,
  });
}

export async function startNginx(): Promise<RunningService> {
  const executable = await installNginx();
  return {
    name: 'nginx',
    processes: [],
    env: { FLOE_TEST_NGINX: executable },
    summary: [`nginx          ${executable} (started by the Temporal TLS tests)`],
  };
}
