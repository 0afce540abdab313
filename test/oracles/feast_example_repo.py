"""Feast's own answers on the example repository `feast init` writes, for test/integration/features/feast-import.test.ts.

Reads a JSON request on stdin: {"repo": <feature_repo folder, after `feast apply`>, "view": <feature view>,
"features": [<feature names>], "entity_ids": [<driver ids>], "parquet": <path to write>, "maps": [<Map
features, written as Parquet maps>]}. Writes
to "parquet" the view's source rows with the columns Floe's Iceberg table holds (timestamps as UTC
microseconds), materializes the view over [earliest event, latest event + 1 s) into Feast's
default SQLite online store, and prints {"start", "end", "online": {feature: [value per entity]}}
from FeatureStore.get_online_features.
"""

import contextlib
import datetime as dt
import json
import sys

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
from feast import FeatureStore


def as_map(column: pa.ChunkedArray) -> pa.Array:
    """A Feast Map column as a Parquet map of strings: pandas wrote the example's dicts as a struct,
    whose field names are the keys; a map is what Feast's Map (string keys) is."""
    rows = column.to_pylist()
    return pa.array(
        [None if row is None else [(key, value) for key, value in row.items() if value is not None] for row in rows],
        type=pa.map_(pa.string(), pa.string()),
    )


def main() -> None:
    request = json.load(sys.stdin)
    store = FeatureStore(repo_path=request["repo"])
    view = store.get_feature_view(request["view"])
    source_path = view.batch_source.path
    if not source_path.startswith("/"):
        source_path = f"{request['repo']}/{source_path}"
    table = pq.read_table(source_path)
    utc = pa.timestamp("us", tz="UTC")
    columns = {
        "driver_id": table["driver_id"],
        "event_timestamp": table["event_timestamp"].cast(utc),
        "created": pc.assume_timezone(table["created"], "UTC").cast(utc),
        **{name: as_map(table[name]) if name in request.get("maps", []) else table[name] for name in request["features"]},
    }
    pq.write_table(pa.table(columns), request["parquet"])

    start = pc.min(table["event_timestamp"]).as_py()
    end = pc.max(table["event_timestamp"]).as_py() + dt.timedelta(seconds=1)
    with contextlib.redirect_stdout(sys.stderr):  # Feast prints its progress; stdout is the answer
        store.materialize(start_date=start, end_date=end, feature_views=[request["view"]])
    online = store.get_online_features(
        features=[f"{request['view']}:{name}" for name in request["features"]],
        entity_rows=[{"driver_id": driver} for driver in request["entity_ids"]],
    ).to_dict()
    iso = lambda instant: instant.astimezone(dt.timezone.utc).isoformat().replace("+00:00", "Z")
    json.dump({"start": iso(start), "end": iso(end), "online": {name: online[name] for name in request["features"]}}, sys.stdout)


if __name__ == "__main__":
    main()
