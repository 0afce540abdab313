"""A Feast repository for bench/online.ts's peers: the benchmark's feature view (driver_id ->
conv_rate, acc_rate, avg_daily_trips) over Feast's Redis or SQLite online store, loaded with the
rows of a Parquet file (the same latest row per entity that Floe's online table holds), then
served as `feast serve` serves it.

Usage: feast_online_repo.py REPO PROJECT PARQUET PORT sqlite|redis [REDIS_HOST:PORT]
Writes feature_store.yaml, applies the definitions, writes every row to the online store, prints
one JSON line {"rows": N, "seconds": S}, then runs Feast's feature server on 127.0.0.1:PORT until
stopped: what `feast serve` does (FeatureStore.serve), in the same process, which saves a second
start of Python and Feast. Gunicorn with one worker (Floe's server is one process too), no access
log (Floe writes none), and no worker restart every 1,000 requests (max_requests=0), which would
time Feast's restarts rather than its reads."""

from __future__ import annotations

import json
import sys
import time
from datetime import timedelta
from pathlib import Path

import pyarrow.parquet as pq
from feast import Entity, FeatureStore, FeatureView, Field, FileSource, ValueType
from feast.types import Float64, Int64

VIEW = "driver_hourly_stats"
BATCH_ROWS = 200_000

repo, project, parquet, port, store_kind = Path(sys.argv[1]), sys.argv[2], sys.argv[3], int(sys.argv[4]), sys.argv[5]
if store_kind == "redis":
    online_store = f"online_store:\n  type: redis\n  connection_string: {json.dumps(sys.argv[6])}\n"
elif store_kind == "sqlite":
    online_store = f"online_store:\n  type: sqlite\n  path: {repo / 'online.db'}\n"
else:
    sys.exit(f"unknown online store {store_kind!r}: expected sqlite or redis")
repo.mkdir(parents=True, exist_ok=True)
(repo / "feature_store.yaml").write_text(
    f"project: {project}\n"
    f"registry: {repo / 'registry.db'}\n"
    "provider: local\n"
    f"{online_store}"
    "offline_store:\n  type: file\n"
    "entity_key_serialization_version: 3\n"
)
driver = Entity(name="driver", join_keys=["driver_id"], value_type=ValueType.INT64)
source = FileSource(name="driver_stats", path=parquet, timestamp_field="event_timestamp", created_timestamp_column="created")
# A ttl of 0: the rows never expire, as Floe's view (no ttl) serves them.
view = FeatureView(
    name=VIEW,
    entities=[driver],
    ttl=timedelta(0),
    online=True,
    source=source,
    schema=[Field(name="conv_rate", dtype=Float64), Field(name="acc_rate", dtype=Float64), Field(name="avg_daily_trips", dtype=Int64)],
)
store = FeatureStore(repo_path=str(repo))
store.apply([driver, source, view])

started = time.perf_counter()
rows = 0
for batch in pq.ParquetFile(parquet).iter_batches(batch_size=BATCH_ROWS):
    frame = batch.to_pandas()
    store.write_to_online_store(VIEW, frame)
    rows += len(frame)
print(json.dumps({"rows": rows, "seconds": time.perf_counter() - started}), flush=True)

FeatureStore(repo_path=str(repo)).serve(host="127.0.0.1", port=port, no_access_log=True, workers=1, max_requests=0)
