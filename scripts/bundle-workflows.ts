// Second half of `npm run build`: the compiled workflows (dist/workflows/) bundled once into
// dist/workflows.bundle.js, which workers of the installed package start from (see
// PACKAGED_WORKFLOW_BUNDLE in workers/worker.ts), so a worker in node_modules never bundles.
import { writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { bundleWorkflowCode } from '@temporalio/worker';
import { quietBundleLogger } from '../workers/source-bundle.js';

const dist = new URL('../dist/', import.meta.url);
const bundleFile = fileURLToPath(new URL('workflows.bundle.js', dist));
const { code } = await bundleWorkflowCode({ workflowsPath: fileURLToPath(new URL('workflows/index.js', dist)), logger: quietBundleLogger });
await writeFile(bundleFile, code);
console.log(`Wrote ${bundleFile} (${Math.round(code.length / 1024)} KiB)`);
