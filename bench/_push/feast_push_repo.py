"""A Feast repository for bench/push.ts's peer: a push source feeding one feature view whose
online store is Feast's local SQLite store. Run with the repository folder as its argument; it
writes feature_store.yaml, the definitions and an empty batch Parquet file, then applies them.
`feast serve` in that folder then answers POST /push."""

from __future__ import annotations

import sys
from datetime import timedelta
from pathlib import Path

import pandas as pd
from feast import Entity, FeatureStore, FeatureView, Field, FileSource, PushSource, ValueType
from feast.types import Float64, Int64

repo = Path(sys.argv[1])
(repo / "data").mkdir(parents=True, exist_ok=True)
(repo / "feature_store.yaml").write_text(
    "project: bench_push\n"
    f"registry: {repo / 'data' / 'registry.db'}\n"
    "provider: local\n"
    f"online_store:\n  type: sqlite\n  path: {repo / 'data' / 'online.db'}\n"
    "offline_store:\n  type: file\n"
    "entity_key_serialization_version: 3\n"
)
batch_file = repo / "data" / "driver.parquet"
pd.DataFrame(
    {"driver_id": pd.Series([], dtype="int64"), "conv_rate": pd.Series([], dtype="float64"), "trips": pd.Series([], dtype="int64"),
     "event_timestamp": pd.Series([], dtype="datetime64[ns, UTC]")}
).to_parquet(batch_file)
(repo / "repo.py").write_text(
    "from datetime import timedelta\n"
    "from feast import Entity, FeatureView, Field, FileSource, PushSource, ValueType\n"
    "from feast.types import Float64, Int64\n"
    "driver = Entity(name='driver', join_keys=['driver_id'], value_type=ValueType.INT64)\n"
    f"batch = FileSource(name='driver_batch', path={str(batch_file)!r}, timestamp_field='event_timestamp')\n"
    "push = PushSource(name='driver_push', batch_source=batch)\n"
    "view = FeatureView(name='driver_live', entities=[driver], ttl=timedelta(days=1), online=True, source=push,\n"
    "    schema=[Field(name='conv_rate', dtype=Float64), Field(name='trips', dtype=Int64)])\n"
)
driver = Entity(name="driver", join_keys=["driver_id"], value_type=ValueType.INT64)
batch = FileSource(name="driver_batch", path=str(batch_file), timestamp_field="event_timestamp")
push = PushSource(name="driver_push", batch_source=batch)
view = FeatureView(
    name="driver_live",
    entities=[driver],
    ttl=timedelta(days=1),
    online=True,
    source=push,
    schema=[Field(name="conv_rate", dtype=Float64), Field(name="trips", dtype=Int64)],
)
FeatureStore(repo_path=str(repo)).apply([driver, batch, push, view])
print("applied")
