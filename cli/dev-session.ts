/**
 * The worker and feature server `floe dev` runs on one version of the definitions, and their
 * replacement by new ones when the definitions change: same Temporal connection, same task queue
 * setting, the server on the same port.
 */
import type { NativeConnection, Worker } from '@temporalio/worker';
import type { FastifyInstance } from 'fastify';
import type { Runtime } from '../features/runtime.js';
import { projectFeatureServer } from './project-feature-server.js';
import { defined } from '../contracts/defined.js';
import { projectOfflineServer } from './project-offline-server.js';
import { projectPusher } from './project-pusher.js';
import type { Pusher } from '../features/push/pusher.js';
import type { OfflineServer } from '../server/flight/offline-server.js';
import { projectRegistryServer } from './project-registry-server.js';
import type { RegistryServer } from '../server/registry/registry-server.js';
import { createWorker } from '../workers/worker.js';
import type { WorkerOptions } from '../workers/worker.js';

export interface DevSessionOptions {
  readonly connection: NativeConnection;
  readonly workflowBundle: NonNullable<WorkerOptions['workflowBundle']>;
  /** The feature server's port (0: any free one, kept across restarts); null: no server. */
  readonly port: number | null;
  /**
   * The offline endpoint's port (Arrow Flight, for Feast's remote offline store), kept across
   * restarts; `required: false` (the default port, not asked for): when it is taken, dev warns and
   * runs without the endpoint. null: no endpoint.
   */
  readonly offline: { readonly port: number; readonly required: boolean } | null;
  /** The registry endpoint's port (gRPC, for Feast's remote registry), kept across restarts; as `offline`. */
  readonly registry: { readonly port: number; readonly required: boolean } | null;
  /** Where the warning goes; stderr unless told. */
  readonly warn?: (message: string) => void;
  /** The Temporal Web UI's address, for the web UI's links to each run. */
  readonly temporalUi?: string;
}

interface Running {
  readonly runtime: Runtime;
  /** The writer the server and the offline endpoint share, drained once both are closed. */
  readonly pusher: Pusher;
  readonly worker: Worker;
  readonly running: Promise<void>;
  readonly server: FastifyInstance | null;
  readonly offline: OfflineServer | null;
  readonly registry: RegistryServer | null;
}

const HOST = '127.0.0.1';

export class DevSession {
  /** Settles when the current worker stops on its own: the SDK drains it on Ctrl-C, or it fails. */
  readonly stopped: Promise<void>;
  private current: Running | undefined;
  private port: number | null;
  private url: string | null = null;
  private offline: { port: number; required: boolean } | null;
  private offlineUrl: string | null = null;
  private registry: { port: number; required: boolean } | null;
  private registryAddress: string | null = null;
  /** Workers being stopped on purpose (a reload, dev stopping): their end is not dev's. */
  private readonly stopping = new WeakSet<Worker>();
  private settle!: { resolve: () => void; reject: (error: unknown) => void };

  private constructor(private readonly options: DevSessionOptions) {
    this.port = options.port;
    this.offline = options.offline;
    this.registry = options.registry;
    this.stopped = new Promise((resolve, reject) => (this.settle = { resolve, reject }));
  }

  /** Starts a worker and the feature server on `runtime`; closes the runtime if either cannot start. */
  static async start(runtime: Runtime, options: DevSessionOptions): Promise<DevSession> {
    const session = new DevSession(options);
    await session.replace(runtime);
    return session;
  }

  get featureServer(): string | null {
    return this.url;
  }

  /** The offline endpoint's address (`grpc+tcp://…`), or null when it is off. */
  get offlineEndpoint(): string | null {
    return this.offlineUrl;
  }

  /** The registry endpoint's `host:port` (what Feast's `registry.path` takes), or null when it is off. */
  get registryEndpoint(): string | null {
    return this.registryAddress;
  }

  get runtime(): Runtime {
    return this.current!.runtime;
  }

  /**
   * Runs a new worker and server on `runtime` in place of the current ones. The SDK refuses two
   * workers on one task queue in a process, so the old worker stops first: `shutdown()` stops its
   * polling and `run()` resolves once every activity in flight has finished, on the definitions it
   * started with (tasks that arrive meanwhile wait in Temporal for the new worker). Should the new
   * worker fail to start, the old definitions get a worker again. The server keeps its port, so the
   * old one closes (answering the requests it has) just before the new one listens.
   */
  async replace(runtime: Runtime): Promise<void> {
    const previous = this.current;
    if (previous) await this.stopWorker(previous);
    let worker: Worker;
    try {
      worker = await this.createWorker(runtime);
    } catch (error) {
      await runtime.close();
      if (previous) {
        const restarted = await this.createWorker(previous.runtime);
        this.current = { ...previous, worker: restarted, running: this.watch(restarted) };
      }
      throw error;
    }
    const running = this.watch(worker);
    const pusher = projectPusher(runtime);
    let server: FastifyInstance | null = null;
    if (this.port !== null) {
      await previous?.server?.close();
      server = await projectFeatureServer(runtime, { ...defined({ temporalUi: this.options.temporalUi }), pusher });
    }
    await previous?.offline?.close();
    const offline = this.offline === null ? null : await projectOfflineServer(runtime, pusher);
    await previous?.registry?.close();
    const registry = this.registry === null ? null : await projectRegistryServer(runtime);
    this.current = { runtime, pusher, worker, running, server, offline, registry };
    await previous?.pusher.drain();
    await previous?.runtime.close();
    if (server) {
      this.url = await server.listen({ host: HOST, port: this.port! });
      this.port = Number(new URL(this.url).port);
    }
    if (offline) await this.listenOffline(offline);
    if (registry) await this.listenRegistry(registry);
  }

  /** Listens on the registry port, as listenOffline does on the offline one. */
  private async listenRegistry(registry: RegistryServer): Promise<void> {
    const wanted = this.registry!;
    try {
      wanted.port = await registry.listen({ host: HOST, port: wanted.port });
      this.registryAddress = `${HOST}:${wanted.port}`;
    } catch (error) {
      await registry.close();
      this.current = { ...this.current!, registry: null };
      if (wanted.required) throw error;
      this.registry = null;
      this.registryAddress = null;
      (this.options.warn ?? ((message: string) => console.error(message)))(
        `floe dev: warning: running without the registry endpoint (Feast's remote registry): ${(error as Error).message}`,
      );
    }
  }

  /** Listens on the offline port; the default port taken is a warning and no endpoint, a port asked for an error. */
  private async listenOffline(offline: OfflineServer): Promise<void> {
    const wanted = this.offline!;
    try {
      wanted.port = await offline.listen({ host: HOST, port: wanted.port });
      this.offlineUrl = `grpc+tcp://${HOST}:${wanted.port}`;
    } catch (error) {
      await offline.close();
      this.current = { ...this.current!, offline: null };
      if (wanted.required) throw error;
      this.offline = null;
      this.offlineUrl = null;
      (this.options.warn ?? ((message: string) => console.error(message)))(
        `floe dev: warning: running without the offline endpoint (Arrow Flight): ${(error as Error).message}`,
      );
    }
  }

  /** Stops the worker (letting its activities finish), the server, and the runtime. */
  async close(): Promise<void> {
    const current = this.current;
    if (!current) return;
    await current.server?.close();
    await current.offline?.close();
    await current.registry?.close();
    await current.pusher.drain();
    await this.stopWorker(current);
    await current.runtime.close();
  }

  private createWorker(runtime: Runtime): Promise<Worker> {
    return createWorker(runtime, { connection: this.options.connection, workflowBundle: this.options.workflowBundle });
  }

  /** Runs the worker; `stopped` settles if it ends other than by stopWorker. */
  private watch(worker: Worker): Promise<void> {
    const running = worker.run();
    running.then(
      () => {
        if (!this.stopping.has(worker)) this.settle.resolve();
      },
      (error: unknown) => {
        if (!this.stopping.has(worker)) this.settle.reject(error);
      },
    );
    return running;
  }

  private async stopWorker(running: Running): Promise<void> {
    this.stopping.add(running.worker);
    // Ctrl-C reaches the worker too (the SDK drains it on SIGINT); shutting it down twice would throw.
    if (running.worker.getState() === 'RUNNING') running.worker.shutdown();
    await running.running.catch(() => undefined);
  }
}
