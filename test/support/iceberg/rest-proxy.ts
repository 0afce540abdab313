/**
 * A small HTTP front for the real REST catalog fixture, which has no auth and never fails: it
 * issues OAuth2 client-credentials tokens, requires them, and can be told to lose the answer to a
 * commit (forward it, then reply 502) — what a proxy timeout does in production — to hold commits
 * unanswered, as a jammed catalog does, or go down and come back on the same port, as a restarted
 * catalog does.
 */
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface RestProxy {
  readonly uri: string;
  readonly clientId: string;
  readonly clientSecret: string;
  /** Tokens issued so far. */
  readonly issued: string[];
  /** Requests that reached the proxy, as "METHOD path". */
  readonly requests: string[];
  /** Invalidate every issued token (the next request with one gets 401). */
  revokeAll(): void;
  /** The next `count` table commits are forwarded, but their reply is replaced by a 502. */
  loseCommitReplies(count: number): void;
  /** Answer HEAD with 405, as servers that predate the spec's existence routes do. */
  refuseHead(refuse: boolean): void;
  /** Stop listening and drop open connections: requests are refused until `restart`. */
  stop(): Promise<void>;
  /** The next table commit is sent but never applied: the proxy dies on it (as `stop`) without forwarding it. */
  dieOnNextCommit(): void;
  /** Listen again on the same port. */
  restart(): Promise<void>;
  /** From now on each table commit that adds a snapshot is read and held, never answered, until `releaseHeld`. */
  holdSnapshotCommits(): void;
  /** Commits held so far (released ones included). */
  heldCommits(): number;
  /**
   * Stops holding. Each commit still held is sent on to the catalog (`apply`), which applies it
   * whether or not its client still waits (the answer is dropped), or dropped unapplied.
   */
  releaseHeld(options: { apply: boolean }): Promise<void>;
  close(): Promise<void>;
}

export async function startRestProxy(upstream: string): Promise<RestProxy> {
  const clientId = 'floe-client';
  const clientSecret = `secret-${randomUUID()}`;
  const valid = new Set<string>();
  const issued: string[] = [];
  const requests: string[] = [];
  let lostCommits = 0;
  let headRefused = false;
  let dieOnCommit = false;
  let holding = false;
  let heldCount = 0;
  const held: { readonly path: string; readonly body: Buffer; readonly response: ServerResponse }[] = [];

  const server: Server = createServer((request, response) => {
    void handle(request, response).catch((error: unknown) => {
      response.writeHead(500, { 'Content-Type': 'application/json' });
      response.end(JSON.stringify({ error: { message: String(error), type: 'ProxyError', code: 500 } }));
    });
  });

  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const body = await readBody(request);
    const path = request.url ?? '/';
    requests.push(`${request.method} ${path.split('?')[0]}`);
    if (path === '/v1/oauth/tokens' && request.method === 'POST') {
      const form = new URLSearchParams(body.toString('utf8'));
      if (
        form.get('grant_type') !== 'client_credentials' ||
        form.get('client_id') !== clientId ||
        form.get('client_secret') !== clientSecret
      ) {
        return json(response, 401, { error: 'invalid_client', error_description: 'unknown client or wrong secret' });
      }
      const token = `token-${randomUUID()}`;
      valid.add(token);
      issued.push(token);
      return json(response, 200, {
        access_token: token,
        token_type: 'bearer',
        expires_in: 3600,
        issued_token_type: 'urn:ietf:params:oauth:token-type:access_token',
      });
    }
    const token = /^Bearer (.+)$/.exec(request.headers.authorization ?? '')?.[1];
    if (token === undefined || !valid.has(token)) {
      return json(response, 401, { error: { message: 'Not authorized', type: 'NotAuthorizedException', code: 401 } });
    }
    if (headRefused && request.method === 'HEAD') {
      response.writeHead(405);
      response.end();
      return;
    }
    const isCommit = request.method === 'POST' && /\/namespaces\/[^/]+\/tables\/[^/]+$/.test(path.split('?')[0] ?? '');
    if (isCommit && dieOnCommit) {
      dieOnCommit = false;
      response.socket?.destroy();
      await stop();
      return;
    }
    if (isCommit && holding && body.includes('"add-snapshot"')) {
      heldCount += 1;
      held.push({ path, body, response });
      return;
    }
    const upstreamResponse = await fetch(`${upstream}${path}`, {
      method: request.method ?? 'GET',
      headers: { 'Content-Type': request.headers['content-type'] ?? 'application/json', Accept: 'application/json' },
      ...(body.length === 0 ? {} : { body }),
    });
    const text = await upstreamResponse.text();
    if (isCommit && lostCommits > 0 && upstreamResponse.ok) {
      lostCommits--;
      return json(response, 502, {
        error: { message: 'Invalid response from the upstream server', type: 'CommitStateUnknownException', code: 502 },
      });
    }
    response.writeHead(upstreamResponse.status, { 'Content-Type': upstreamResponse.headers.get('content-type') ?? 'application/json' });
    response.end(text);
  }

  const stop = (): Promise<void> =>
    new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    uri: `http://127.0.0.1:${port}`,
    clientId,
    clientSecret,
    issued,
    requests,
    revokeAll: () => valid.clear(),
    loseCommitReplies: (count) => void (lostCommits = count),
    refuseHead: (refuse) => void (headRefused = refuse),
    stop,
    dieOnNextCommit: () => void (dieOnCommit = true),
    restart: () => new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve)),
    holdSnapshotCommits: () => void (holding = true),
    heldCommits: () => heldCount,
    async releaseHeld({ apply }) {
      holding = false;
      for (const commit of held.splice(0)) {
        if (apply)
          await fetch(`${upstream}${commit.path}`, {
            method: 'POST',
            headers: { 'Content-Type': 'application/json' },
            body: commit.body,
          }).then((answer) => answer.text());
        commit.response.socket?.destroy();
      }
    },
    close: () => (server.listening ? stop() : Promise.resolve()),
  };
}

async function readBody(request: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

function json(response: ServerResponse, status: number, body: unknown): void {
  response.writeHead(status, { 'Content-Type': 'application/json' });
  response.end(JSON.stringify(body));
}
