import * as grpc from '@grpc/grpc-js';
import type { Registry } from '../../features/registry.js';
import { GrpcRefusal } from '../grpc/grpc-endpoint.js';
import type { FeastObjects, ProtoObject } from './feast-objects.js';

/**
 * The answers of the registry's read RPCs (by their names in RegistryServer.proto): Floe's
 * definitions as Feast's protos; what Floe does not keep (stream and label views, saved datasets,
 * validation references, Feast permissions) lists empty and is not found by name, as Feast's
 * exception for each kind.
 */
export function readHandlers(registry: Registry, objects: FeastObjects) {
  const named = <T>(found: T | undefined, feastClass: string, kind: string, request: ProtoObject): T => {
    if (found !== undefined) return found;
    throw new GrpcRefusal(
      grpc.status.NOT_FOUND,
      `${kind} ${String(request.name)} does not exist in project ${objects.project}`,
      feastClass,
    );
  };
  const view = (name: string) => registry.featureViews.get(name);
  const onDemand = (name: string) => registry.onDemandViews.get(name);
  return {
    GetEntity: (request: ProtoObject) => {
      const entity = registry.entities.get(String(request.name));
      return named(entity && objects.entity(entity), 'EntityNotFoundException', 'Entity', request);
    },
    ListEntities: () => ({ entities: objects.entities() }),
    GetDataSource: (request: ProtoObject) =>
      named(objects.dataSource(String(request.name)), 'DataSourceObjectNotFoundException', 'Data source', request),
    ListDataSources: () => ({ dataSources: objects.dataSources() }),
    GetFeatureView: (request: ProtoObject) => {
      const found = view(String(request.name));
      return named(found && objects.featureView(found), 'FeatureViewNotFoundException', 'Feature view', request);
    },
    ListFeatureViews: () => ({ featureViews: objects.featureViews() }),
    GetAnyFeatureView: (request: ProtoObject) => {
      const name = String(request.name);
      const plain = view(name);
      const computed = onDemand(name);
      const any =
        plain !== undefined
          ? { featureView: objects.featureView(plain) }
          : computed !== undefined
            ? { onDemandFeatureView: objects.onDemandView(computed) }
            : undefined;
      return { anyFeatureView: named(any, 'FeatureViewNotFoundException', 'Feature view', request) };
    },
    ListAllFeatureViews: () => ({
      featureViews: [
        ...objects.featureViews().map((featureView) => ({ featureView })),
        ...objects.onDemandViews().map((onDemandFeatureView) => ({ onDemandFeatureView })),
      ],
    }),
    GetStreamFeatureView: (request: ProtoObject) => named(undefined, 'FeatureViewNotFoundException', 'Stream feature view', request),
    ListStreamFeatureViews: () => ({ streamFeatureViews: [] }),
    GetOnDemandFeatureView: (request: ProtoObject) => {
      const found = onDemand(String(request.name));
      return named(found && objects.onDemandView(found), 'OnDemandFeatureViewNotFoundException', 'On demand feature view', request);
    },
    ListOnDemandFeatureViews: () => ({ onDemandFeatureViews: objects.onDemandViews() }),
    GetLabelView: (request: ProtoObject) => named(undefined, 'FeatureViewNotFoundException', 'Label view', request),
    ListLabelViews: () => ({ labelViews: [] }),
    GetFeatureService: (request: ProtoObject) => {
      const found = registry.featureServices.get(String(request.name));
      return named(found && objects.featureService(found), 'FeatureServiceNotFoundException', 'Feature service', request);
    },
    ListFeatureServices: () => ({ featureServices: objects.featureServices() }),
    GetSavedDataset: (request: ProtoObject) => named(undefined, 'SavedDatasetNotFound', 'Saved dataset', request),
    ListSavedDatasets: () => ({ savedDatasets: [] }),
    GetValidationReference: (request: ProtoObject) => named(undefined, 'ValidationReferenceNotFound', 'Validation reference', request),
    ListValidationReferences: () => ({ validationReferences: [] }),
    GetPermission: (request: ProtoObject) => named(undefined, 'PermissionObjectNotFoundException', 'Permission', request),
    ListPermissions: () => ({ permissions: [] }),
    GetProject: (request: ProtoObject) =>
      named(
        String(request.name) === objects.project ? objects.projectObject() : undefined,
        'ProjectObjectNotFoundException',
        'Project',
        request,
      ),
    ListProjects: () => ({ projects: [objects.projectObject()] }),
    ListProjectMetadata: () => ({ projectMetadata: [{ project: objects.project, projectUuid: '' }] }),
    GetInfra: () => ({ infraObjects: [] }),
    Proto: () => objects.registryProto(),
    Refresh: () => ({}),
  };
}
