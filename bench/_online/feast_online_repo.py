"""A Feast repository for bench/online.ts's peers: the benchmark's feature view (driver_id ->
conv_rate, acc_rate, avg_daily_trips) over Feast's Redis or SQLite online store, loaded with the
rows of a Parquet file (the same latest row per entity that Floe's online table holds), then
served as `feast serve` serves it.

Usage: feast_online_repo.py REPO PROJECT PARQUET PORT sqlite|redis [REDIS_HOST:PORT [pipe]]
Writes feature_store.yaml, applies the definitions, writes every row to the online store, prints
one JSON line {"rows": N, "seconds": S}, then runs Feast's feature server on 127.0.0.1:PORT until
stopped: what `feast serve` does (FeatureStore.serve), in the same process, which saves a second
start of Python and Feast. Gunicorn with one worker (Floe's server is one process too), no access
log (Floe writes none), and no worker restart every 1,000 requests (max_requests=0), which would
time Feast's restarts rather than its reads.

With `pipe` (Redis only) the rows are not written through write_to_online_store (one process, a
Redis round trip per batch to read the stored timestamps first): Feast's own functions turn them
into what its Redis store writes (_convert_arrow_to_proto, then online_write_batch's layout: one
hash per _redis_key, the _mmh3 of each `view:feature` and `_ts:view` as fields), one forked
process per core, sent as HSET commands in Redis's protocol to `redis-cli --pipe`. Redis then
holds the same bytes as after write_to_online_store (compared key by key over 2,000 rows); 1M
rows took 21.9 s this way and 35.9 s through write_to_online_store on 2 busy cores."""

from __future__ import annotations

import json
import multiprocessing
import os
import subprocess
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
pipe = sys.argv[7:8] == ["pipe"]
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



def resp_bulk(value: bytes) -> bytes:
    return b"$%d\r\n%s\r\n" % (len(value), value)


def encode_row_group(index: int) -> tuple[int, bytes]:
    """Row group `index` of `parquet` as Feast's Redis store writes it (its skip_dedup path: one HSET a row), in Redis's protocol."""
    from feast.infra.online_stores.helpers import _mmh3, _redis_key
    from feast.infra.online_stores.redis import _versioned_fv_name
    from feast.utils import _convert_arrow_to_proto, make_tzaware
    from google.protobuf.timestamp_pb2 import Timestamp

    config = store.config
    feature_view = store.get_feature_view(VIEW)
    join_keys = {entity.join_key: entity.value_type for entity in [driver]}
    name = _versioned_fv_name(feature_view, config)
    ts_field = resp_bulk(f"_ts:{name}".encode())
    feature_fields = {feature.name: resp_bulk(_mmh3(f"{name}:{feature.name}")) for feature in feature_view.features}
    command = b"*%d\r\n$4\r\nHSET\r\n" % (2 + 2 * (1 + len(feature_fields)))
    batch = pq.ParquetFile(parquet).read_row_group(index)
    chunk = []
    for entity_key, values, timestamp, _ in _convert_arrow_to_proto(batch, feature_view, join_keys):
        ts = Timestamp()
        ts.FromDatetime(make_tzaware(timestamp))
        chunk.append(command)
        chunk.append(resp_bulk(_redis_key(project, entity_key, config.entity_key_serialization_version)))
        chunk.append(ts_field)
        chunk.append(resp_bulk(ts.SerializeToString()))
        for feature, value in values.items():
            chunk.append(feature_fields[feature])
            chunk.append(resp_bulk(value.SerializeToString()))
    return batch.num_rows, b"".join(chunk)


def pipe_to_redis(host_port: str) -> int:
    """Every row of `parquet` through redis-cli --pipe, its row groups encoded by one process per core (Feast's conversion is most of the time)."""
    host, port = host_port.rsplit(":", 1)
    cli = subprocess.Popen(["redis-cli", "-h", host, "-p", port, "--pipe"], stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    assert cli.stdin is not None
    rows = 0
    # Forked: the workers inherit the applied store and need nothing pickled but a row group's index.
    with multiprocessing.get_context("fork").Pool(os.cpu_count()) as pool:
        for count, chunk in pool.imap(encode_row_group, range(pq.ParquetFile(parquet).num_row_groups)):
            cli.stdin.write(chunk)
            rows += count
    output = cli.communicate()[0].decode()
    # redis-cli --pipe ends with "errors: E, replies: R".
    if cli.returncode != 0 or f"errors: 0, replies: {rows}" not in output:
        sys.exit(f"redis-cli --pipe did not store {rows} rows: {output.strip()}")
    return rows


started = time.perf_counter()
rows = 0
if pipe:
    rows = pipe_to_redis(sys.argv[6])
else:
    for batch in pq.ParquetFile(parquet).iter_batches(batch_size=BATCH_ROWS):
        frame = batch.to_pandas()
        store.write_to_online_store(VIEW, frame)
        rows += len(frame)
print(json.dumps({"rows": rows, "seconds": time.perf_counter() - started}), flush=True)

FeatureStore(repo_path=str(repo)).serve(host="127.0.0.1", port=port, no_access_log=True, workers=1, max_requests=0)
