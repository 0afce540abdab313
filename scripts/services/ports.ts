/** Free TCP ports, asked of the OS: never fixed ports, so parallel runs and other software don't collide. */
import { createServer } from 'node:net';

export async function freePort(host = '127.0.0.1'): Promise<number> {
  const server = createServer();
  try {
    await new Promise<void>((resolvePromise, reject) => {
      server.once('error', reject);
      server.listen(0, host, () => resolvePromise());
    });
    const address = server.address();
    if (address === null || typeof address === 'string') throw new Error(`could not read the port the OS gave on ${host}`);
    return address.port;
  } finally {
    await new Promise<void>((resolvePromise) => server.close(() => resolvePromise()));
  }
}

/** Several distinct free ports (asked one after another while the earlier ones are released: distinct in practice). */
export async function freePorts(count: number, host = '127.0.0.1'): Promise<number[]> {
  const ports = new Set<number>();
  while (ports.size < count) ports.add(await freePort(host));
  return [...ports];
}
