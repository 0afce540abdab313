import * as grpc from '@grpc/grpc-js';
import { serverAuthConfigSchema } from '../../features/config.js';
import type { ServerAuthInput } from '../../features/config.js';
import type { Registry } from '../../features/registry.js';
import type { CatalogConfig } from '../../iceberg/catalog/catalog-config.js';
import type { Redactor } from '../../core/redaction.js';
import { createAuthenticator } from '../auth/authenticator.js';
import { closeGrpc, GrpcRefusal, grpcCaller, grpcServerCredentials, listenGrpc } from '../grpc/grpc-endpoint.js';
import { applyHandlers } from './apply-handlers.js';
import { FeastObjects } from './feast-objects.js';
import type { IcebergSourceForm, ProtoObject } from './feast-objects.js';
import { readHandlers } from './read-handlers.js';
import { registryService } from './registry-protos.js';

export interface RegistryServerOptions {
  readonly registry: Registry;
  /** floe.yaml's `project`: the one Feast project this registry holds. */
  readonly project: string;
  readonly catalog: CatalogConfig;
  /** How Iceberg sources are shown (default `iceberg`: Feast's IcebergSource, which Feast before 0.67 cannot decode). */
  readonly sourceForm?: IcebergSourceForm;
  /** Who may call (floe.yaml's `server.auth`, as the HTTP server takes it); without it every call is open. */
  readonly auth?: ServerAuthInput;
  readonly tls?: { readonly cert: Buffer; readonly key: Buffer };
  /** When the definitions were loaded (the objects' created and updated times); now unless told. */
  readonly loadedAt?: Date;
  /** Where the causes of internal failures are logged (redacted); stderr unless told. */
  readonly logStream?: NodeJS.WritableStream;
  /** The process's redaction step (the project's), for what the log repeats. */
  readonly redactor: Redactor;
}

export interface RegistryServer {
  /** Binds and starts serving; resolves with the port bound (useful with port 0). */
  listen(address: { readonly host: string; readonly port: number }): Promise<number>;
  close(): Promise<void>;
}

type Unary = (call: grpc.ServerUnaryCall<ProtoObject, unknown>, callback: grpc.sendUnaryData<unknown>) => void;

/**
 * Floe's registry endpoint: Feast's `feast.registry.RegistryServer` over gRPC, for Feast's remote
 * registry client (`registry: {registry_type: remote, path: host:port}`). It serves Floe's
 * definitions as Feast's protos and answers `feast apply` as apply-check.ts says: what equals
 * Floe's definitions is accepted and changes nothing, anything else is refused by name.
 */
export function createRegistryServer(options: RegistryServerOptions): RegistryServer {
  const auth = options.auth === undefined ? undefined : serverAuthConfigSchema.parse(options.auth);
  const authenticator = auth === undefined ? undefined : createAuthenticator(auth);
  const objects = new FeastObjects(options.registry, {
    project: options.project,
    catalog: options.catalog,
    sourceForm: options.sourceForm ?? 'iceberg',
    loadedAt: options.loadedAt ?? new Date(),
  });
  const handlers = { ...readHandlers(options.registry, objects), ...applyHandlers(options.registry, objects) };
  const log = options.logStream ?? process.stderr;
  const implementation: Record<string, Unary> = {};
  for (const name of Object.keys(registryService())) {
    const handler = handlers[name as keyof typeof handlers] as ((request: ProtoObject) => unknown) | undefined;
    implementation[name] = (call, callback) => {
      const answer = async (): Promise<unknown> => {
        const caller = await grpcCaller(authenticator, call.metadata, 'registry endpoint');
        if (caller !== undefined && caller.permissions.read === false)
          throw new GrpcRefusal(grpc.status.PERMISSION_DENIED, `${caller.name} may not read the registry (that needs read)`, 'forbidden');
        if (handler === undefined)
          throw new GrpcRefusal(grpc.status.UNIMPLEMENTED, `Floe's registry endpoint does not answer ${name}`, 'unsupported');
        checkProject(objects.project, call.request);
        return handler(call.request);
      };
      answer().then(
        (reply) => callback(null, reply),
        (error: unknown) => callback(statusOf(error, log, options.redactor)),
      );
    };
  }
  const server = new grpc.Server();
  server.addService(registryService(), implementation);
  const credentials = grpcServerCredentials(options.tls);
  return {
    listen: (address) => listenGrpc(server, address, credentials, { endpoint: 'registry endpoint', option: '--registry-port' }),
    close: () => closeGrpc(server),
  };
}

/** Floe serves one project, floe.yaml's: a request for another is answered as Feast answers an unknown project. */
function checkProject(project: string, request: ProtoObject): void {
  const asked = request.project;
  if (typeof asked === 'string' && asked !== '' && asked !== project)
    throw new GrpcRefusal(
      grpc.status.NOT_FOUND,
      `Project ${asked} does not exist: Floe's registry endpoint serves project ${project} (floe.yaml's project; set the same in feature_store.yaml)`,
      'ProjectObjectNotFoundException',
    );
}

/**
 * The gRPC status of an error. Its details are Feast's error detail (`{"module", "class",
 * "message"}`), which Feast's client raises as that Feast exception with Floe's message. Anything
 * not the caller's to fix is a bare INTERNAL; its cause goes to the log.
 */
function statusOf(error: unknown, log: NodeJS.WritableStream, redactor: Redactor): Partial<grpc.StatusObject> {
  if (error instanceof GrpcRefusal) {
    const feastClass = /^[A-Z]\w+$/.test(error.kind) ? error.kind : 'FeastError';
    const permission = error.code === grpc.status.PERMISSION_DENIED ? 'FeastPermissionError' : feastClass;
    return { code: error.code, details: JSON.stringify({ module: 'feast.errors', class: permission, message: error.message }) };
  }
  log.write(`floe registry endpoint: a call failed: ${JSON.stringify(redactor.redactValue(error))}\n`);
  return {
    code: grpc.status.INTERNAL,
    details: JSON.stringify({
      module: 'feast.errors',
      class: 'FeastError',
      message: "Floe's registry endpoint failed to answer; see its log",
    }),
  };
}
