import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { protoPath } from '../grpc/proto-path.js';

let service: grpc.ServiceDefinition | undefined;

/**
 * Feast's `feast.registry.RegistryServer` service, loaded once from the vendored protos (see
 * protos/README.md). Requests decode with every field present (defaults), enums by name, bytes as
 * Buffers; replies encode from the objects server/registry/feast-objects.ts builds.
 */
export function registryService(): grpc.ServiceDefinition {
  if (service !== undefined) return service;
  const definition = protoLoader.loadSync('feast/registry/RegistryServer.proto', {
    includeDirs: [protoPath('./protos', import.meta.url)],
    keepCase: false,
    longs: Number,
    enums: String,
    defaults: true,
    oneofs: true,
  });
  const loaded = grpc.loadPackageDefinition(definition) as unknown as {
    feast: { registry: { RegistryServer: grpc.ServiceClientConstructor } };
  };
  service = loaded.feast.registry.RegistryServer.service;
  return service;
}
