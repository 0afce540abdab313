/**
 * A small HTTP front for the real REST catalog fixture, which has no auth and never fails: it
 * issues OAuth2 client-credentials tokens, requires them, and can be told to lose the answer to a
 * commit (forward it, then reply 502) — what a proxy timeout does in production —, to refuse a
 * commit without forwarding it (503, as an overloaded gateway does), to hold commits unanswered, as
 * a jammed catalog does, or go down and come back on the same port, as a restarted catalog does.
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
  /** The next `count` table commits are answered 503 and never forwarded (Infinity: until told 0). */
  refuseCommits(count: number): void;
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
  /** How many commit replies were replaced so far (loseCommitReplies). */
  readonly lostCommitReplies: number;
  /**
   * Answer every table commit, without forwarding it, as the fixture's JdbcCatalog on SQLite does
   * when jammed after a restart (HTTP 500 `SQLITE_BUSY`), until told otherwise; counts them.
   */
  jamCommits(jam: boolean): void;
  readonly jammedCommits: number;
}

export async function startRestProxy(upstream: string): Promise<RestProxy> {
  const clientId = 'floe-client';
  const clientSecret = `secret-${randomUUID()}`;
  const valid = new Set<string>();
  const issued: string[] = [];
  const requests: string[] = [];
  let lostCommits = 0;
  let refusedCommits = 0;
  let headRefused = false;
  let dieOnCommit = false;
  let lostSoFar = 0;
  let jammed = false;
  let jammedSoFar = 0;
  /** The proxy's own address, for a catalog config that names the server's (see pointedAtProxy). */
  let ownUri = '';
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
    if (isCommit && jammed) {
      jammedSoFar++;
      return json(response, 500, {
        error: { message: '[SQLITE_BUSY] The database file is locked (database is locked)', type: 'SQLiteException', code: 500 },
      });
    }
    if (isCommit && dieOnCommit) {
      dieOnCommit = false;
      response.socket?.destroy();
      await stop();
      return;
    }
    if (isCommit && refusedCommits > 0) {
      refusedCommits--;
      return json(response, 503, { error: { message: 'Service unavailable', type: 'ServiceUnavailableException', code: 503 } });
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
    let text = await upstreamResponse.text();
    if (path.split('?')[0] === '/v1/config' && upstreamResponse.ok) text = pointedAtProxy(text, ownUri);
    if (isCommit && lostCommits > 0 && upstreamResponse.ok) {
      lostCommits--;
      lostSoFar++;
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
  ownUri = `http://127.0.0.1:${port}`;
  return {
    uri: ownUri,
    clientId,
    clientSecret,
    issued,
    requests,
    revokeAll: () => valid.clear(),
    loseCommitReplies: (count) => void (lostCommits = count),
    refuseCommits: (count) => void (refusedCommits = count),
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
    get lostCommitReplies() {
      return lostSoFar;
    },
    jamCommits: (jam) => void (jammed = jam),
    get jammedCommits() {
      return jammedSoFar;
    },
  };
}

/**
 * The catalog's config with its `uri` override, if any, replaced by the proxy's address: Nessie
 * names its own address there, and a client that followed it would go around the proxy.
 */
function pointedAtProxy(configText: string, proxyUri: string): string {
  const config = JSON.parse(configText) as { overrides?: Record<string, string> };
  if (config.overrides?.['uri'] === undefined) return configText;
  return JSON.stringify({ ...config, overrides: { ...config.overrides, uri: proxyUri } });
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
