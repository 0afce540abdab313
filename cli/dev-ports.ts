/**
 * Where `floe dev` runs Temporal: the gRPC address of temporal.address (so commands in other
 * terminals, which read the same setting, find it) and the Web UI on dev.uiPort; both checked free
 * before anything starts, so a port held by another program is one clear line, not a server log.
 */
import { createServer } from 'node:net';
import type { ProjectConfig } from '../features/config.js';
import { FloeError } from '../core/errors.js';

export interface DevPorts {
  readonly ip: string;
  readonly port: number;
  readonly uiPort: number;
}

const TEMPORAL_ADDRESS_SETTING = 'temporal.address in floe.yaml (the init template reads it from FLOE_TEMPORAL_ADDRESS)';
const UI_PORT_SETTING = 'dev.uiPort in floe.yaml';

export function devPorts(config: Pick<ProjectConfig, 'temporal' | 'dev'>): DevPorts {
  const { address } = config.temporal;
  const match = /^(localhost|\d{1,3}(?:\.\d{1,3}){3}):(\d{1,5})$/.exec(address);
  const port = match ? Number(match[2]) : NaN;
  if (!match || port < 1 || port > 65_535) {
    throw new FloeError(
      'invalid-input',
      `floe dev runs Temporal on this machine at ${TEMPORAL_ADDRESS_SETTING}, which must be a local IPv4 address and port such as 127.0.0.1:7233; got ${JSON.stringify(address)}`,
      {
        context: { field: 'temporal.address' },
      },
    );
  }
  return { ip: match[1] === 'localhost' ? '127.0.0.1' : match[1]!, port, uiPort: config.dev.uiPort };
}

/** Refuses to start when either port is taken, naming the port and the setting that moves it. */
export async function requireFreePorts(ports: DevPorts): Promise<void> {
  if (ports.port === ports.uiPort) {
    throw new FloeError(
      'invalid-input',
      `floe dev needs two ports, but ${TEMPORAL_ADDRESS_SETTING} and ${UI_PORT_SETTING} are both ${ports.port}`,
      { context: { field: 'dev.uiPort' } },
    );
  }
  for (const [port, setting, what] of [
    [ports.port, TEMPORAL_ADDRESS_SETTING, "Temporal's gRPC"],
    [ports.uiPort, UI_PORT_SETTING, "Temporal's Web UI"],
  ] as const) {
    if (!(await portFree(ports.ip, port))) {
      throw new FloeError(
        'invalid-input',
        `Port ${port} on ${ports.ip} is taken by another program, and floe dev needs it for ${what}: stop that program, or choose another port with ${setting}`,
        {
          context: { field: setting.split(' ')[0]! },
        },
      );
    }
  }
}

function portFree(host: string, port: number): Promise<boolean> {
  const server = createServer();
  return new Promise((resolve) => {
    server.once('error', () => resolve(false));
    server.listen({ host, port, exclusive: true }, () => server.close(() => resolve(true)));
  });
}
