/**
 * A pass-through front for MinIO that behaves like an S3-compatible store without conditional
 * writes: a PUT carrying `If-None-Match` gets 501 NotImplemented. Requests are forwarded with their
 * original headers (Host included), so MinIO still accepts the SigV4 signatures.
 */
import { createServer, request as httpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface RefusingProxy {
  readonly endpoint: string;
  /** Conditional PUTs refused so far. */
  readonly refused: number;
  close(): Promise<void>;
}

export async function startConditionalWriteRefusingProxy(upstream: URL): Promise<RefusingProxy> {
  let refused = 0;
  const server = createServer((incoming, outgoing) => {
    if (incoming.method === 'PUT' && incoming.headers['if-none-match'] !== undefined) {
      refused++;
      incoming.resume();
      outgoing.writeHead(501, { 'Content-Type': 'application/xml' });
      outgoing.end(
        '<?xml version="1.0" encoding="UTF-8"?><Error><Code>NotImplemented</Code><Message>Conditional writes are not implemented</Message></Error>',
      );
      return;
    }
    const forwarded = httpRequest(
      { host: upstream.hostname, port: upstream.port, method: incoming.method, path: incoming.url, headers: incoming.headers },
      (response) => {
        outgoing.writeHead(response.statusCode ?? 502, response.headers);
        response.pipe(outgoing);
      },
    );
    forwarded.on('error', () => outgoing.destroy());
    incoming.pipe(forwarded);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    // Same host name as upstream would differ in port only; MinIO checks the signed Host header it receives.
    endpoint: `http://127.0.0.1:${port}`,
    get refused() {
      return refused;
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
