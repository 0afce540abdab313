// `import … from 'floe'`: what a Floe project's definitions and a data scientist's code use. Only
// what is re-exported here (and from public/worker.ts, public/server.ts) is Floe's public API.
export { defineEntity, defineFeatureService, defineFeatureView, defineIcebergSource } from '../features/definitions.js';
export { definePushSource } from '../features/push-source.js';
export { defineStreamSource } from '../features/stream-source.js';
export type { StreamSourceDefinition } from '../features/stream-source.js';
export type { PushSourceDefinition } from '../features/push-source.js';
export type { PushAnswer, PushRequest } from '../features/push/pusher.js';
export type {
  CompactionScheduleDefinition,
  ConsistencyScheduleDefinition,
  Duration,
  EntityDefinition,
  FeatureServiceDefinition,
  FeatureServiceInput,
  FeatureViewDefinition,
  FeatureViewInput,
  FeatureViewProjection,
  FilterExpression,
  IcebergSourceDefinition,
  OverlapPolicyName,
  ScheduleDefinition,
  ValueType,
} from '../features/definitions.js';
export { defineOnDemandView, defineRequestSource } from '../features/on-demand.js';
export type {
  OnDemandCompute,
  OnDemandInputs,
  OnDemandOutputs,
  OnDemandValue,
  OnDemandViewDefinition,
  OnDemandViewInput,
  RequestSourceDefinition,
} from '../features/on-demand.js';
// A source's `filter`: rows that belong to it (and the files it may skip).
export {
  alwaysFalse,
  alwaysTrue,
  and,
  eq,
  gt,
  gtEq,
  isIn,
  isNaN,
  isNull,
  lt,
  ltEq,
  not,
  notEq,
  notIn,
  notNaN,
  notNull,
  notStartsWith,
  or,
  startsWith,
} from '../iceberg/expressions/expression.js';
export type { Expression, FilterLiteral } from '../iceberg/expressions/expression.js';
export { FeatureStore } from '../features/feature-store.js';
export type {
  HistoricalFeaturesRequest,
  HistoricalRetrievalJob,
  RetrievalSummary,
} from '../features/historical/get-historical-features.js';
export type { ViewRetrievalSummary } from '../features/historical/view-reads.js';
export type { ApplyPlan, ApplyResult } from '../features/registry-store/apply.js';
export { OnlineStore } from '../features/online/index.js';
export type {
  FeatureStatus,
  FeatureVector,
  OnlineFeaturesRequest,
  OnlineFeaturesResponse,
  OnlineStoreOptions,
  OnlineValue,
} from '../features/online/index.js';
export { loadProject } from '../features/project.js';
export type { Project } from '../features/project.js';
export type { ProjectConfig } from '../features/config.js';
export { openRuntime } from '../features/runtime.js';
export type { Runtime } from '../features/runtime.js';
export { FloeError } from '../core/errors.js';
export type { ErrorContext, ErrorKind } from '../core/errors.js';
