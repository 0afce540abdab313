"""Feast's own Python client against Floe's registry endpoint: a Feast repository whose
feature_store.yaml names only Floe (registry remote, online remote, offline remote). Reads a JSON
list of calls on stdin and writes one JSON answer per call on stdout: {"name", "ok": true, ...} or
{"name", "ok": false, "error": "<exception class>: <message>"}. (registry.test.ts runs the `feast`
commands in the repository itself.) Calls:
  {"op": "feature_service", "service": name}: FeatureStore.get_feature_service;
  {"op": "feature_views"}, {"op": "on_demand_views"}, {"op": "entities"}, {"op": "data_sources"}: the SDK's list_*;
  {"op": "proto"}: the whole registry as Feast's Registry proto (what `feast registry-dump` and Feast's UI read);
  {"op": "online", "service": name | "features": [...], "entity_rows": [...]}: get_online_features.

Usage: python registry_driver.py <repo directory> <project> <registry host:port> <online url> <offline port> <auth> [<TLS certificate>] < calls.json
"""

import json
import sys
import traceback
import warnings

warnings.filterwarnings("ignore")

from feast import FeatureStore  # noqa: E402


def write_config(directory, project, registry, url, offline_port, auth, cert):
    tls = f"  cert: {cert}\n" if cert else ""
    with open(f"{directory}/feature_store.yaml", "w") as config:
        config.write(
            f"""project: {project}
registry:
  registry_type: remote
  path: {registry}
{tls}provider: local
online_store:
  type: remote
  path: {url}
offline_store:
  type: remote
  host: 127.0.0.1
  port: {offline_port}
entity_key_serialization_version: 3
auth:
  type: {auth}
"""
        )


def fields(features):
    return [[feature.name, str(feature.dtype)] for feature in features]


def projection(p):
    return {"view": p.name, "features": [f.name for f in p.features]}


def run(directory, call):
    op = call["op"]
    store = FeatureStore(repo_path=directory)
    if op == "feature_service":
        service = store.get_feature_service(call["service"])
        return {"service": service.name, "projections": [projection(p) for p in service.feature_view_projections]}
    if op == "feature_views":
        return {
            "views": [
                {
                    "name": view.name,
                    "entities": view.entities,
                    "features": fields(view.features),
                    "ttl": view.ttl.total_seconds() if view.ttl else 0,
                    "source": [type(view.batch_source).__name__, view.batch_source.name],
                    "stream_source": [type(view.stream_source).__name__, view.stream_source.name] if view.stream_source else None,
                }
                for view in store.list_feature_views()
            ]
        }
    if op == "on_demand_views":
        return {
            "views": [
                {
                    "name": view.name,
                    "features": fields(view.features),
                    "sources": sorted(
                        [p.name for p in view.source_feature_view_projections.values()]
                        + list(view.source_request_sources.keys())
                    ),
                }
                for view in store.list_on_demand_feature_views()
            ]
        }
    if op == "entities":
        return {"entities": [[e.name, e.join_key, str(e.value_type)] for e in store.list_entities()]}
    if op == "proto":
        proto = store.registry.proto()
        return {
            "feature_views": [view.spec.name for view in proto.feature_views],
            "on_demand_feature_views": [view.spec.name for view in proto.on_demand_feature_views],
            "feature_services": sorted(service.spec.name for service in proto.feature_services),
            "projects": [project.spec.name for project in proto.projects],
        }
    if op == "data_sources":
        return {"sources": sorted([type(s).__name__, s.name] for s in store.list_data_sources())}
    if op == "online":
        features = store.get_feature_service(call["service"]) if "service" in call else call["features"]
        answer = store.get_online_features(features=features, entity_rows=call["entity_rows"]).to_dict()
        return {"columns": answer}
    raise ValueError(f"unknown op {op}")


def main():
    directory, project, registry, url, offline_port, auth = sys.argv[1:7]
    cert = sys.argv[7] if len(sys.argv) > 7 else ""
    write_config(directory, project, registry, url, offline_port, auth, cert)
    for call in json.load(sys.stdin):
        try:
            answer = {"name": call["name"], "ok": True, **run(directory, call)}
        except Exception as error:  # noqa: BLE001 - every failure is an answer
            traceback.print_exc()
            answer = {"name": call["name"], "ok": False, "error": f"{type(error).__name__}: {error}"}
        print(json.dumps(answer, default=str), flush=True)


if __name__ == "__main__":
    main()
