"""Feast as an independent oracle for Floe's point-in-time joins (and the peer in bench/pit.ts).

One JSON request on stdin, one JSON reply on stdout. The request describes entities, sources
(Parquet files or folders) and feature views the way Floe's definitions do; this script builds a
throwaway Feast repository with them (local provider, file offline store by default, or Feast's
DuckDB offline store with "offline_store": "duckdb") and runs get_historical_features. A view whose
source is an Iceberg table ("iceberg" instead of "path") gets Feast's contrib IcebergSource, which
only the DuckDB offline store reads (a pyiceberg scan of the table into Arrow). With "offline_store":
"remote" and "remote": {"host", "port"}, the same repository's offline store is Feast's remote one,
which sends the call to that Arrow Flight server (`floe serve --offline-port`); the sources stay in
Feast's registry, but the server answers from its own definitions of the same views.

Request:
  {"entities": [{"name": "driver", "join_keys": [{"name": "driver_id", "type": "long"}]}],
   "feature_views": [{"name": ..., "entities": [...], "path": "/abs/data/dir or file.parquet",
                      (or "iceberg": {"catalog_name": ..., "uri": "sqlite:////abs/catalog.db",
                                      "warehouse": "file:///abs/warehouse", "namespace": ..., "table": ...}),
                      "timestamp_field": ..., "created_timestamp_field": ... | null,
                      "ttl_seconds": int | null, "features": [{"name": ..., "type": ...}]}],
   "entity_rows": [{...}] | null, "entity_parquet": "/abs/file.parquet" | null,
   "entity_timestamp_column": "event_timestamp",
   "features": ["view:feature", ...], "full_feature_names": false,
   "offline_store": "file" | "duckdb" | "remote", "remote": {"host": ..., "port": int} (remote only),
   "output_parquet": "/abs/out.parquet" | null}
Reply: {"rows": [...]} (timestamps as ISO-8601 UTC strings, NaN as null) or, with output_parquet,
{"rows_written": n}; plus {"seconds": ..., "max_rss_kb": ..., "offline_store": ...}.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import resource
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import pandas as pd
from feast import Entity, FeatureStore, FeatureView, Field, RepoConfig, ValueType
from feast.types import Bool, Float32, Float64, Int32, Int64, String, UnixTimestamp
from feast_sources import batch_source

FEAST_TYPES = {"boolean": Bool, "int": Int32, "long": Int64, "float": Float32, "double": Float64, "string": String, "timestamptz": UnixTimestamp, "timestamp": UnixTimestamp}
VALUE_TYPES = {"int": ValueType.INT32, "long": ValueType.INT64, "string": ValueType.STRING}


def build_store(request: dict[str, Any], repo: Path) -> tuple[FeatureStore, list[Any]]:
    offline = request.get("offline_store", "file")
    offline_config = offline_store_config(offline, request.get("remote"))
    config = RepoConfig(
        project="floe_oracle",
        registry=str(repo / "registry.db"),
        provider="local",
        offline_store=offline_config,
        online_store={"type": "sqlite", "path": str(repo / "online.db")},
        entity_key_serialization_version=3,
    )
    store = FeatureStore(config=config)
    entities = {
        spec["name"]: Entity(name=spec["name"], join_keys=[key["name"] for key in spec["join_keys"]], value_type=VALUE_TYPES[spec["join_keys"][0]["type"]])
        for spec in request["entities"]
    }
    objects: list[Any] = list(entities.values())
    for view in request["feature_views"]:
        source = feature_source(view)
        ttl = view.get("ttl_seconds")
        objects.append(
            FeatureView(
                name=view["name"],
                entities=[entities[name] for name in view["entities"]],
                ttl=dt.timedelta(seconds=ttl) if ttl else dt.timedelta(0),
                schema=[Field(name=feature["name"], dtype=FEAST_TYPES[feature["type"]]) for feature in view["features"]],
                source=source,
                online=False,
            )
        )
    store.apply(objects)
    return store, objects


def offline_store_config(offline: str, remote: dict[str, Any] | None) -> dict[str, Any]:
    if offline in ("file", "duckdb"):
        return {"type": offline}
    if offline == "remote" and remote is not None:
        return {"type": "remote", "host": remote["host"], "port": int(remote["port"])}
    raise ValueError(f'offline_store must be "file", "duckdb" or "remote" (with "remote": {{"host", "port"}}), got {offline!r}')


def feature_source(view: dict[str, Any]) -> Any:
    return batch_source(f"{view['name']}_source", view["timestamp_field"], view.get("created_timestamp_field") or "", view.get("path"), view.get("iceberg"))


def to_json(value: Any) -> Any:
    if value is None:
        return None
    if isinstance(value, pd.Timestamp):
        if pd.isna(value):
            return None
        stamp = value if value.tzinfo is not None else value.tz_localize("UTC")
        return stamp.tz_convert("UTC").strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    if isinstance(value, float) and math.isnan(value):
        return None
    if hasattr(value, "item"):
        return to_json(value.item())
    if value is pd.NA or value is pd.NaT:
        return None
    return value


def main() -> int:
    request = json.load(sys.stdin)
    ts_column = request.get("entity_timestamp_column", "event_timestamp")
    with tempfile.TemporaryDirectory(prefix="feast-oracle-") as folder:
        store, _ = build_store(request, Path(folder))
        if request.get("entity_parquet"):
            entity_df = pd.read_parquet(request["entity_parquet"])
        else:
            entity_df = pd.DataFrame(request["entity_rows"])
        entity_df[ts_column] = pd.to_datetime(entity_df[ts_column], utc=True)
        started = time.perf_counter()
        job = store.get_historical_features(entity_df=entity_df, features=request["features"], full_feature_names=bool(request.get("full_feature_names")))
        reply: dict[str, Any] = {"offline_store": request.get("offline_store", "file")}
        if request.get("output_parquet"):
            table = job.to_arrow()
            import pyarrow.parquet as pq

            pq.write_table(table, request["output_parquet"])
            reply["rows_written"] = table.num_rows
        else:
            frame = job.to_df()
            reply["rows"] = [{column: to_json(value) for column, value in row.items()} for row in frame.to_dict(orient="records")]
        reply["seconds"] = time.perf_counter() - started
    reply["max_rss_kb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    json.dump(reply, sys.stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main())
