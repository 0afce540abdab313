import { Pusher } from '../features/push/pusher.js';
import type { Runtime } from '../features/runtime.js';

/**
 * The one writer of a process serving a project (`floe serve`, `floe dev`): the feature server's
 * `POST /push` and `/write-to-online-store` and the offline endpoint's Feast offline writes gather
 * into its group commit, so two writers never contend for the same tables. Whoever makes it drains
 * it once both servers are closed, before closing the runtime.
 */
export function projectPusher(runtime: Runtime): Pusher {
  return new Pusher(runtime, runtime.project.config.push);
}
