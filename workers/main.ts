// `npm run worker`: one Floe worker process for the project in FLOE_PROJECT (default: the current
// folder). Run more of them, on more hosts, against the same Temporal cluster and catalog to scale out.
import { loadProject } from '../features/project.js';
import { runWorker } from './run.js';

await runWorker(await loadProject(process.env.FLOE_PROJECT ?? process.cwd()));
