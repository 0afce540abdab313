/** Optional fields set only when they have a value: see contracts/defined.ts, where workflows reach it too. */
export { defined } from '../contracts/defined.js';
