// `import … from 'floe/server'`: the Feast-shaped HTTP feature server over an OnlineStore.
export { createFeatureServer } from '../server/feature-server.js';
export type { FeatureServerOptions } from '../server/feature-server.js';
