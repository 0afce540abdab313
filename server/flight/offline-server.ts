import { once } from 'node:events';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import * as arrow from 'apache-arrow';
import { serverAuthConfigSchema } from '../../features/config.js';
import type { ServerAuthInput } from '../../features/config.js';
import type { FeatureContext } from '../../features/context.js';
import { createAuthenticator } from '../auth/authenticator.js';
import type { Authenticator } from '../auth/authenticator.js';
import { closeGrpc, grpcServerCredentials, listenGrpc } from '../grpc/grpc-endpoint.js';
import { protoPath } from '../grpc/proto-path.js';
import { parseFeastCommand, putApi, readApi } from './feast-command.js';
import type { FeastCommand } from './feast-command.js';
import { feastRead } from './feast-read.js';
import type { FeastRead } from './feast-read.js';
import { flightCaller, requireSourceRead } from './flight-auth.js';
import { feastDataSource, validateSource } from './source-columns.js';
import { FlightRefusal, flightStatus } from './flight-errors.js';
import { flightDataBytes, messagesTable, schemaBytes } from './ipc-messages.js';
import type { IpcMessage } from './ipc-messages.js';
import { PendingUploads } from './pending-uploads.js';
import { feastOfflineWrite } from './offline-write.js';
import { feastPersist } from './saved-dataset.js';
import { feastWriteLoggedFeatures } from './feature-logs.js';
import { Pusher } from '../../features/push/pusher.js';
import type { PushConfig } from '../../features/config.js';
import type { Caller } from '../auth/authenticator.js';

/** The largest message (one IPC record batch of entity rows) a client may send. */
const MAX_UPLOAD_MESSAGE_BYTES = 1024 * 1024 * 1024;

export interface OfflineServerOptions {
  readonly context: FeatureContext;
  /** Who may call (floe.yaml's `server.auth`, as the HTTP server takes it); without it every call is open. */
  readonly auth?: ServerAuthInput;
  /** TLS with this certificate and key (PEM), as the HTTP server's `server.tls`; plaintext without. */
  readonly tls?: { readonly cert: Buffer; readonly key: Buffer };
  /** Where the causes of internal failures are logged (redacted); stderr unless told. */
  readonly logStream?: NodeJS.WritableStream;
  /**
   * The writer of Feast's offline writes, which the caller drains once the server is closed: a process
   * serving the HTTP feature server too gives both the same one. Without it the server makes its own
   * from `push` and drains it on close.
   */
  readonly pusher?: Pusher;
  /** Group commit of the server's own pusher (floe.yaml's `push`). */
  readonly push?: Partial<PushConfig>;
}

export interface OfflineServer {
  /** Binds and starts serving; resolves with the port bound (useful with port 0). */
  listen(address: { readonly host: string; readonly port: number }): Promise<number>;
  close(): Promise<void>;
}

interface FlightDataMessage {
  readonly flightDescriptor?: { readonly type?: string; readonly cmd?: Buffer; readonly path?: string[] } | null;
  readonly dataHeader?: Buffer;
  readonly dataBody?: Buffer;
}

/**
 * Floe's offline endpoint: an Arrow Flight (gRPC) server answering Feast's remote offline store
 * client (`offline_store: {type: remote, host, port}`). Feast 0.67 reads in one do_exchange (the
 * entity rows up, the result down); older clients do_put the rows, get_flight_info the descriptor
 * and do_get its ticket. Results stream as Arrow record batches as DuckDB yields them, encoded
 * once, straight into the messages sent (arrow-ipc-stream.ts).
 */
export function createOfflineServer(options: OfflineServerOptions): OfflineServer {
  const auth = options.auth === undefined ? undefined : serverAuthConfigSchema.parse(options.auth);
  const authenticator = auth === undefined ? undefined : createAuthenticator(auth);
  const pusher = options.pusher ?? new Pusher(options.context, options.push);
  const handlers = new FlightHandlers(options.context, authenticator, new PendingUploads(), pusher, options.logStream ?? process.stderr);
  // One uploaded record batch may be large (pyarrow sends an entity DataFrame as few batches), but not unbounded.
  const server = new grpc.Server({ 'grpc.max_receive_message_length': MAX_UPLOAD_MESSAGE_BYTES, 'grpc.max_send_message_length': -1 });
  server.addService(flightService(), {
    doExchange: (call: grpc.ServerDuplexStream<FlightDataMessage, unknown>) => handlers.doExchange(call),
    doPut: (call: grpc.ServerDuplexStream<FlightDataMessage, unknown>) => handlers.doPut(call),
    getFlightInfo: (call: grpc.ServerUnaryCall<FlightDataMessage['flightDescriptor'], unknown>, callback: grpc.sendUnaryData<unknown>) =>
      handlers.getFlightInfo(call, callback),
    doGet: (call: grpc.ServerWritableStream<{ ticket?: Buffer }, unknown>) => handlers.doGet(call),
    listActions: (call: grpc.ServerWritableStream<unknown, unknown>) => call.end(),
  });
  const credentials = grpcServerCredentials(options.tls);
  return {
    listen: (address) => listenGrpc(server, address, credentials, { endpoint: 'offline endpoint', option: '--offline-port' }),
    close: async () => {
      await closeGrpc(server);
      if (options.pusher === undefined) await pusher.drain();
    },
  };
}

class FlightHandlers {
  constructor(
    private readonly context: FeatureContext,
    private readonly authenticator: Authenticator | undefined,
    private readonly uploads: PendingUploads,
    private readonly pusher: Pusher,
    private readonly log: NodeJS.WritableStream,
  ) {}

  /** Feast 0.67's read: the command in the descriptor, the entity rows up, the result down, on one stream. */
  doExchange(call: grpc.ServerDuplexStream<FlightDataMessage, unknown>): void {
    void this.guard(call, async () => {
      const caller = await flightCaller(this.authenticator, call.metadata);
      const { descriptor, messages } = await readUpload(call);
      const read = feastRead(this.context, parseFeastCommand(descriptor?.cmd), messagesTable(messages), caller);
      await this.sendResult(call, read);
    });
  }

  /** The older clients' first step: the entity rows kept under their command for get_flight_info and do_get. */
  doPut(call: grpc.ServerDuplexStream<FlightDataMessage, unknown>): void {
    void this.guard(call, async () => {
      const caller = await flightCaller(this.authenticator, call.metadata);
      const { descriptor, messages } = await readUpload(call);
      const command = parseFeastCommand(descriptor?.cmd);
      if (putApi(command) !== undefined) {
        await this.put(command, messagesTable(messages), caller);
        call.end();
        return;
      }
      readApi(command);
      this.uploads.add(Buffer.from(descriptor?.cmd ?? []).toString('utf8'), caller?.name, messagesTable(messages));
      call.end();
    });
  }

  /** An API answered by its do_put alone: a check, or a write. */
  private async put(command: FeastCommand, uploaded: arrow.Table, caller: Caller | undefined): Promise<void> {
    switch (putApi(command)) {
      case 'validate_data_source': {
        const source = feastDataSource(this.context, command);
        requireSourceRead(caller, source.name);
        await validateSource(this.context, source);
        return;
      }
      case 'offline_write_batch':
        await feastOfflineWrite(this.context, this.pusher, command, uploaded, caller);
        return;
      case 'persist':
        await feastPersist(this.context, command, uploaded, caller);
        return;
      case 'write_logged_features':
        await feastWriteLoggedFeatures(this.context, command, uploaded, caller);
        return;
      case undefined:
        return;
    }
  }

  getFlightInfo(call: grpc.ServerUnaryCall<FlightDataMessage['flightDescriptor'], unknown>, callback: grpc.sendUnaryData<unknown>): void {
    const answer = async (): Promise<unknown> => {
      const caller = await flightCaller(this.authenticator, call.metadata);
      const upload = this.uploads.find(Buffer.from(call.request?.cmd ?? []).toString('utf8'), caller?.name);
      if (upload === undefined)
        throw new FlightRefusal(grpc.status.NOT_FOUND, 'No rows were uploaded (do_put) under this command, or they expired', 'not-found');
      return {
        schema: schemaBytes(new arrow.Schema([])),
        flightDescriptor: call.request,
        endpoint: [{ ticket: { ticket: Buffer.from(upload.ticket) }, location: [] }],
        totalRecords: -1,
        totalBytes: -1,
      };
    };
    answer().then(
      (info) => callback(null, info),
      (error: unknown) => callback(this.statusOf(error)),
    );
  }

  doGet(call: grpc.ServerWritableStream<{ ticket?: Buffer }, unknown>): void {
    void this.guard(call, async () => {
      const caller = await flightCaller(this.authenticator, call.metadata);
      const upload = this.uploads.redeem(Buffer.from(call.request.ticket ?? []).toString('utf8'), caller?.name);
      if (upload === undefined)
        throw new FlightRefusal(grpc.status.NOT_FOUND, 'Unknown or already redeemed ticket: do_put the rows again', 'not-found');
      const read = feastRead(this.context, parseFeastCommand(Buffer.from(upload.command)), upload.table, caller);
      await this.sendResult(call, read);
    });
  }

  /** The result's schema, then its record batches, each written when the stream has room for it. */
  private async sendResult(
    call: grpc.ServerWritableStream<unknown, unknown> | grpc.ServerDuplexStream<FlightDataMessage, unknown>,
    read: FeastRead,
  ): Promise<void> {
    await read.stream((message) => write(call, flightDataBytes(message)));
    call.end();
  }

  /** Runs a streaming call's work; a failure ends the call with its status (and an internal one is logged). */
  private async guard(
    call: grpc.ServerWritableStream<unknown, unknown> | grpc.ServerDuplexStream<FlightDataMessage, unknown>,
    work: () => Promise<void>,
  ): Promise<void> {
    try {
      await work();
    } catch (error) {
      call.emit('error', this.statusOf(error));
    }
  }

  private statusOf(error: unknown): Partial<grpc.StatusObject> {
    const { redactor } = this.context.catalog;
    const { status, internal } = flightStatus(error, redactor);
    if (internal) this.log.write(`floe offline endpoint: a call failed: ${JSON.stringify(redactor.redactValue(error))}\n`);
    return status;
  }
}

/** Reads a client's stream to its end: the descriptor (of its first message) and the IPC messages. */
async function readUpload(
  call: grpc.ServerDuplexStream<FlightDataMessage, unknown>,
): Promise<{ descriptor: FlightDataMessage['flightDescriptor']; messages: IpcMessage[] }> {
  let descriptor: FlightDataMessage['flightDescriptor'];
  const messages: IpcMessage[] = [];
  for await (const data of call as AsyncIterable<FlightDataMessage>) {
    if (descriptor == null && data.flightDescriptor != null) descriptor = data.flightDescriptor;
    if (data.dataHeader !== undefined && data.dataHeader.length > 0)
      messages.push({ dataHeader: data.dataHeader, dataBody: data.dataBody ?? new Uint8Array(0) });
  }
  if (descriptor == null)
    throw new FlightRefusal(
      grpc.status.INVALID_ARGUMENT,
      'The Flight stream carried no descriptor: send the command in the first message',
      'invalid-input',
    );
  return { descriptor, messages };
}

/** Writes one message (FlightData's bytes), waiting for the stream to drain when gRPC's buffer is full. */
async function write(
  call: grpc.ServerWritableStream<unknown, unknown> | grpc.ServerDuplexStream<FlightDataMessage, unknown>,
  message: Buffer,
): Promise<void> {
  if (!call.write(message)) await once(call, 'drain');
}

let service: grpc.ServiceDefinition | undefined;

/** The FlightService definition, loaded once from flight.proto (beside this file, or beside its source when run from dist/). */
function flightService(): grpc.ServiceDefinition {
  if (service !== undefined) return service;
  const definition = protoLoader.loadSync(protoPath('./flight.proto', import.meta.url), {
    keepCase: false,
    longs: Number,
    enums: String,
    defaults: false,
    oneofs: true,
  });
  const loaded = grpc.loadPackageDefinition(definition) as unknown as {
    arrow: { flight: { protocol: { FlightService: grpc.ServiceClientConstructor } } };
  };
  // A response already encoded (FlightData's bytes from flightDataBytes) is sent as it is.
  service = Object.fromEntries(
    Object.entries(loaded.arrow.flight.protocol.FlightService.service).map(([name, method]) => [
      name,
      { ...method, responseSerialize: (value: unknown) => (Buffer.isBuffer(value) ? value : method.responseSerialize(value)) },
    ]),
  );
  return service;
}
