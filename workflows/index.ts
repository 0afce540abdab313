// Every workflow type the Floe worker registers. Workflow code is replayed: see eslint.config.js.
export { materialize } from './materialize.js';
export { backfill } from './backfill.js';
export { trainingSet } from './training-set.js';
export { compact } from './compact.js';
export { consistency } from './consistency.js';
