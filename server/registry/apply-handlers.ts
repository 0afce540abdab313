import * as grpc from '@grpc/grpc-js';
import type { Registry } from '../../features/registry.js';
import { GrpcRefusal } from '../grpc/grpc-endpoint.js';
import { APPLY_STORY, ApplyCheck } from './apply-check.js';
import { asProto } from './feast-objects.js';
import type { FeastObjects, ProtoObject } from './feast-objects.js';

const EMPTY = {};

/**
 * The answers of the RPCs `feast apply` (and Feast's other writers) call, by their names in
 * RegistryServer.proto: what apply-check.ts finds the same as Floe's is accepted and changes
 * nothing; anything else is refused (FAILED_PRECONDITION) with what differs and what to do.
 */
export function applyHandlers(registry: Registry, objects: FeastObjects) {
  const check = new ApplyCheck(registry, objects);
  const refuseIf = (difference: string | undefined): typeof EMPTY => {
    if (difference !== undefined) throw new GrpcRefusal(grpc.status.FAILED_PRECONDITION, `${difference}. ${APPLY_STORY}`, 'FeastError');
    return EMPTY;
  };
  return {
    Commit: () => EMPTY,
    // Feast's bookkeeping of its own online store and materialization runs: Floe keeps its own.
    UpdateInfra: () => EMPTY,
    ApplyMaterialization: () => EMPTY,
    ApplyEntity: (request: ProtoObject) => refuseIf(check.entity(asProto(request.entity))),
    ApplyDataSource: (request: ProtoObject) => refuseIf(check.dataSource(asProto(request.dataSource))),
    ApplyFeatureView: (request: ProtoObject) => {
      if (request.featureView != null) return refuseIf(check.featureView(asProto(request.featureView)));
      if (request.onDemandFeatureView != null) return refuseIf(check.onDemandView(asProto(request.onDemandFeatureView)));
      const other = asProto(request.streamFeatureView ?? request.labelView);
      return refuseIf(`feast apply would add ${String(asProto(other.spec).name)}, a kind of view Floe's registry does not hold`);
    },
    ApplyFeatureService: (request: ProtoObject) => refuseIf(check.featureService(asProto(request.featureService))),
    DeleteEntity: (request: ProtoObject) => refuseIf(check.deletion('entity', String(request.name))),
    DeleteDataSource: (request: ProtoObject) => refuseIf(check.deletion('data source', String(request.name))),
    DeleteFeatureView: (request: ProtoObject) => {
      const name = String(request.name);
      return refuseIf(check.deletion('feature view', name) ?? check.deletion('on-demand feature view', name));
    },
    DeleteFeatureService: (request: ProtoObject) => refuseIf(check.deletion('feature service', String(request.name))),
    ApplyProject: (request: ProtoObject) => {
      const name = String(asProto(asProto(request.project).spec).name);
      return refuseIf(
        name === objects.project ? undefined : `feast apply would add project ${name}; Floe serves project ${objects.project}`,
      );
    },
    DeleteProject: (request: ProtoObject) => refuseIf(`feast would delete project ${String(request.name)}`),
    ApplySavedDataset: (request: ProtoObject) =>
      refuseIf(
        `feast would add saved dataset ${String(asProto(asProto(request.savedDataset).spec).name)}, which Floe's registry does not hold (Floe's training sets are Iceberg tables: floe training-set)`,
      ),
    DeleteSavedDataset: () => EMPTY,
    ApplyValidationReference: (request: ProtoObject) =>
      refuseIf(
        `feast would add validation reference ${String(asProto(request.validationReference).name)}, which Floe's registry does not hold`,
      ),
    DeleteValidationReference: () => EMPTY,
    ApplyPermission: (request: ProtoObject) =>
      refuseIf(
        `feast apply would add permission ${String(asProto(asProto(request.permission).spec).name)}: Floe's permissions are floe.yaml's server.auth`,
      ),
    DeletePermission: () => EMPTY,
  };
}
