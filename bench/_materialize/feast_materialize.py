"""bench/materialize.ts's peer: `feast materialize` of one window of Floe's source rows (the Iceberg
table's own Parquet data files, or with "source_iceberg" the Iceberg table itself through Feast's
contrib IcebergSource over the same SQL catalog, which only the DuckDB offline store reads) into
Feast's SQLite online store or into Redis.

One JSON request on stdin, one JSON reply on stdout:
  {"source_path": "/abs/folder or glob" (or "source_iceberg": {"catalog_name": ..., "uri":
   "sqlite:////abs/catalog.db", "warehouse": "file:///abs/warehouse", "namespace": ..., "table": ...}),
   "offline_store": "duckdb" | "file",
   "online_stores": ["sqlite", "redis"], "redis_connection": "host:port" | null,
   "start": ISO-8601, "end": ISO-8601, "sample": [driver ids]}
Each store in turn gets a repository of its own. Reply: {"offline_store": ..., "runs": {store:
{"seconds": the materialize call alone, "cpu_seconds": its CPU time (this process's threads; not
the Redis server's), "max_rss_kb": the process's peak so far (a later store's includes the earlier), "sample": [[conv_rate, acc_rate,
avg_daily_trips] | null per sample id]}}}.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import resource
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

from feast import Entity, FeatureStore, FeatureView, Field, RepoConfig, ValueType
from feast.types import Float64, Int64

# The Feast source builder the historical oracle uses too (test/oracles/feast_sources.py).
sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "test" / "oracles"))
from feast_sources import batch_source  # noqa: E402

VIEW = "driver_stats_view"
FEATURES = ["conv_rate", "acc_rate", "avg_daily_trips"]


def online_config(request: dict[str, Any], repo: Path) -> dict[str, Any]:
    if request["online_store"] == "redis":
        return {"type": "redis", "connection_string": request["redis_connection"]}
    return {"type": "sqlite", "path": str(repo / "online.db")}


def value(raw: Any) -> Any:
    if raw is None or (isinstance(raw, float) and math.isnan(raw)):
        return None
    return raw.item() if hasattr(raw, "item") else raw


def materialize(request: dict[str, Any], online_store: str) -> dict[str, Any]:
    request = {**request, "online_store": online_store}
    with tempfile.TemporaryDirectory(prefix="feast-materialize-") as folder:
        repo = Path(folder)
        config = RepoConfig(
            # A project of its own per run: Redis keys carry the project, and the server may be shared.
            project=f"floe_bench_{uuid.uuid4().hex[:12]}",
            registry=str(repo / "registry.db"),
            provider="local",
            offline_store={"type": request["offline_store"]},
            online_store=online_config(request, repo),
            entity_key_serialization_version=3,
        )
        store = FeatureStore(config=config)
        driver = Entity(name="driver", join_keys=["driver_id"], value_type=ValueType.INT64)
        source = batch_source("driver_stats", "event_timestamp", "created", request.get("source_path"), request.get("source_iceberg"))
        view = FeatureView(
            name=VIEW,
            entities=[driver],
            ttl=dt.timedelta(0),
            schema=[Field(name="conv_rate", dtype=Float64), Field(name="acc_rate", dtype=Float64), Field(name="avg_daily_trips", dtype=Int64)],
            source=source,
            online=True,
        )
        store.apply([driver, view])
        start = dt.datetime.fromisoformat(request["start"].replace("Z", "+00:00"))
        end = dt.datetime.fromisoformat(request["end"].replace("Z", "+00:00"))
        started = time.perf_counter()
        cpu_started = time.process_time()
        store.materialize(start_date=start, end_date=end, feature_views=[VIEW])
        seconds = time.perf_counter() - started
        cpu_seconds = time.process_time() - cpu_started
        online = store.get_online_features(
            features=[f"{VIEW}:{name}" for name in FEATURES], entity_rows=[{"driver_id": driver_id} for driver_id in request["sample"]]
        ).to_dict()
        sample = []
        for index in range(len(request["sample"])):
            row = [value(online[name][index]) for name in FEATURES]
            sample.append(None if all(one is None for one in row) else row)
        store.teardown()
    return {
        "seconds": seconds,
        "cpu_seconds": cpu_seconds,
        "max_rss_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
        "sample": sample,
    }


def main() -> int:
    request = json.load(sys.stdin)
    # One process for every store: importing Feast costs seconds, which the quick run cannot spare.
    runs = {online_store: materialize(request, online_store) for online_store in request["online_stores"]}
    json.dump({"offline_store": request["offline_store"], "runs": runs}, sys.stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main())
