"""Feast's own Python client against Floe's offline endpoint (Arrow Flight): a Feast repository whose
offline store is `{type: remote, host, port}` (and online store `{type: remote, path}`), holding the
same entity, view, request source, on-demand view and feature service as the Floe project of
offline-store.test.ts (and feature services renaming the view, which Floe's project has no need
of). Reads a JSON list of calls (get_historical_features by entity rows or by a start_date/end_date
window, the source pulls of Feast's materialization, or offline writes) on stdin and writes one
JSON answer per call on stdout: {"name", "ok": true, "rows": [...], "columns": [...]} or
{"name", "ok": false, "error": "<exception class>: <message>"}. A retrieval with "alone": <Parquet
folder> runs on Feast alone instead: the same definitions, read by Feast's file offline store.

Usage: python offline_driver.py <repo directory> <host> <offline port> <online url> <auth> [<TLS certificate>] < calls.json
"""

import json
import sys
import warnings
from datetime import timedelta

warnings.filterwarnings("ignore")

import pandas as pd  # noqa: E402
from feast import (  # noqa: E402
    Entity,
    FeatureService,
    FeatureStore,
    FeatureView,
    Field,
    FileSource,
    RepoConfig,
    RequestSource,
    ValueType,
)
from feast.on_demand_feature_view import on_demand_feature_view  # noqa: E402
from feast.types import Array, Float64, Int64  # noqa: E402


def repository(directory: str, host: str, port: str, url: str, auth: str, cert: str) -> FeatureStore:
    # auth "oidc": Feast's client sends the token in FEAST_OIDC_TOKEN as a bearer token.
    with open(f"{directory}/feature_store.yaml", "w") as config:
        config.write(
            f"""project: floe_offline
registry: {directory}/registry.db
provider: local
online_store:
  type: remote
  path: {url}
offline_store:
  type: remote
  host: {host}
  port: {port}
{f"  scheme: https{chr(10)}  cert: {cert}{chr(10)}" if cert else ""}entity_key_serialization_version: 3
auth:
  type: {auth}
"""
        )
    store = FeatureStore(repo_path=directory)
    store.apply(definitions(f"{directory}/unused.parquet"))
    return store


def alone(directory: str, data: str) -> FeatureStore:
    """Feast alone: the same definitions in a repository of its own, read by Feast's file offline
    store from `data` (the Parquet data files of the Iceberg table Floe reads)."""
    import os

    os.makedirs(directory, exist_ok=True)
    config = RepoConfig(
        project="floe_alone",
        registry=f"{directory}/registry.db",
        provider="local",
        offline_store={"type": "file"},
        online_store={"type": "sqlite", "path": f"{directory}/online.db"},
        entity_key_serialization_version=3,
    )
    store = FeatureStore(config=config)
    store.apply(definitions(data))
    return store


def definitions(path: str) -> list:
    driver = Entity(name="driver", join_keys=["driver_id"], value_type=ValueType.INT64)
    source = FileSource(
        name="driver_stats",
        path=path,
        timestamp_field="event_timestamp",
        created_timestamp_column="created",
    )
    stats = FeatureView(
        name="driver_hourly_stats",
        entities=[driver],
        ttl=timedelta(hours=6),
        schema=[
            Field(name="conv_rate", dtype=Float64),
            Field(name="acc_rate", dtype=Float64),
            Field(name="avg_daily_trips", dtype=Int64),
        ],
        source=source,
    )
    ride = RequestSource(name="ride", schema=[Field(name="distance_km", dtype=Float64)])

    # Never run by the client against a remote offline store: Floe computes the view on its side.
    @on_demand_feature_view(
        sources=[stats, ride],
        schema=[Field(name="expected_conversions", dtype=Float64), Field(name="trips_per_km", dtype=Float64)],
    )
    def ride_features(inputs: pd.DataFrame) -> pd.DataFrame:
        out = pd.DataFrame()
        out["expected_conversions"] = inputs["conv_rate"] * inputs["distance_km"]
        out["trips_per_km"] = inputs["avg_daily_trips"] / inputs["distance_km"]
        return out

    # A list feature (an embedding's shape): Floe's compute returns an array.
    @on_demand_feature_view(sources=[stats, ride], schema=[Field(name="pair", dtype=Array(Float64))])
    def ride_vector(inputs: pd.DataFrame) -> pd.DataFrame:
        out = pd.DataFrame()
        out["pair"] = [None if pd.isna(conv) else [conv, km] for conv, km in zip(inputs["conv_rate"], inputs["distance_km"])]
        return out

    probe = RequestSource(name="probe", schema=[Field(name="vector", dtype=Array(Float64))])

    @on_demand_feature_view(sources=[stats, probe], schema=[Field(name="scaled", dtype=Array(Float64))])
    def probed(inputs: pd.DataFrame) -> pd.DataFrame:
        out = pd.DataFrame()
        out["scaled"] = [
            None if pd.isna(conv) or vector is None else [None if item is None else item * conv for item in vector]
            for conv, vector in zip(inputs["conv_rate"], inputs["vector"])
        ]
        return out

    model = FeatureService(name="model", features=[stats[["acc_rate"]], ride_features])
    # The view projected under other names (fv.with_name): Feast sends name_aliases with them.
    renamed = FeatureService(name="renamed", features=[stats.with_name("recent")])
    twice = FeatureService(
        name="twice",
        features=[stats.with_name("recent")[["conv_rate"]], stats.with_name("earlier")[["acc_rate", "avg_daily_trips"]]],
    )
    # Known to Feast's registry only: Floe's answer for it is an error.
    feast_only = FeatureView(
        name="feast_only_view",
        entities=[driver],
        ttl=timedelta(days=1),
        schema=[Field(name="x", dtype=Int64)],
        source=source,
    )
    return [driver, source, stats, ride, ride_features, ride_vector, probe, probed, model, renamed, twice, feast_only]


def entity_frame(rows: list) -> pd.DataFrame:
    df = pd.DataFrame(rows)
    df["event_timestamp"] = pd.to_datetime(df["event_timestamp"], utc=True)
    return df


def plain(value):
    if value is None or (isinstance(value, float) and value != value):
        return None
    if isinstance(value, (list, tuple)) or getattr(value, "ndim", 0) > 0:
        return [plain(item) for item in list(value)]
    if pd.isna(value) if not isinstance(value, dict) else False:
        return None
    if isinstance(value, pd.Timestamp):
        return value.tz_convert("UTC").isoformat() if value.tzinfo else value.isoformat()
    if hasattr(value, "item"):
        return value.item()
    return value


def pull(store: FeatureStore, call: dict) -> pd.DataFrame:
    # What Feast's client-side materialization calls on the offline store, called directly.
    from datetime import datetime

    from feast.infra.offline_stores.remote import RemoteOfflineStore

    view = store.get_feature_view(call["feature_view"])
    source = view.batch_source
    arguments = dict(
        config=store.config,
        data_source=source,
        join_key_columns=["driver_id"],
        feature_name_columns=[feature.name for feature in view.features],
        timestamp_field=source.timestamp_field,
        created_timestamp_column=source.created_timestamp_column,
        start_date=datetime.fromisoformat(call["start"]),
        end_date=datetime.fromisoformat(call["end"]),
    )
    if call["op"] == "pull_latest":
        return RemoteOfflineStore.pull_latest_from_table_or_query(**arguments).to_df()
    return RemoteOfflineStore.pull_all_from_table_or_query(**arguments).to_df()


def offline_write(store: FeatureStore, call: dict) -> None:
    """store.write_to_offline_store (what store.push(to=PushMode.OFFLINE) calls per view), or with
    "resend" the very do_put Feast's client retries on a transient error: one command_id, sent twice."""
    df = pd.DataFrame(call["rows"])
    for column in ("event_timestamp", "created"):
        df[column] = pd.to_datetime(df[column], utc=True, format="ISO8601")
    if not call.get("resend"):
        store.write_to_offline_store(call["feature_view"], df)
        return
    import pyarrow as pa
    import pyarrow.flight as fl

    from feast.infra.offline_stores.remote import _put_parameters, build_arrow_flight_client

    offline = store.config.offline_store
    client = build_arrow_flight_client(offline.scheme, offline.host, offline.port, store.config.auth_config, offline.cert)
    command = {"command_id": call["command_id"], "api": "offline_write_batch", "feature_view_names": [call["feature_view"]], "progress": None, "name_aliases": [None]}
    descriptor = fl.FlightDescriptor.for_command(json.dumps(command))
    table = pa.Table.from_pandas(df, preserve_index=False)
    for _ in range(2):
        _put_parameters(descriptor, None, table, client)


def persist(store: FeatureStore, call: dict) -> None:
    """store.create_saved_dataset of a get_historical_features job, into a file storage (its path names Floe's table)."""
    from feast.infra.offline_stores.file_source import SavedDatasetFileStorage

    job = store.get_historical_features(entity_df=entity_frame(call["entity_rows"]), features=call["features"])
    store.create_saved_dataset(from_=job, name=call["dataset"], storage=SavedDatasetFileStorage(path=call["path"]))


def log_features(store: FeatureStore, call: dict) -> None:
    """Feast's write_logged_features for a feature service (what its feature server's logging calls),
    with "resend" the same do_put twice (one command_id), as a retried call sends it."""
    import pyarrow as pa
    import pyarrow.flight as fl

    from feast.feature_logging import FeatureServiceLoggingSource
    from feast.infra.offline_stores.remote import RemoteOfflineStore, _put_parameters, build_arrow_flight_client

    logs = pa.table(
        {
            "driver_id": pa.array([row["driver_id"] for row in call["rows"]], pa.int64()),
            "driver_hourly_stats__acc_rate": pa.array([row["acc_rate"] for row in call["rows"]], pa.float64()),
            "driver_hourly_stats__acc_rate__timestamp": pa.array(
                [pd.Timestamp(row["at"]) for row in call["rows"]], pa.timestamp("us", tz="UTC")
            ),
            "driver_hourly_stats__acc_rate__status": pa.array([1 for _ in call["rows"]], pa.int32()),
            "__log_timestamp": pa.array([pd.Timestamp(row["at"]) for row in call["rows"]], pa.timestamp("us", tz="UTC")),
            "__request_id": pa.array([row["request_id"] for row in call["rows"]], pa.string()),
        }
    )
    service = store.get_feature_service(call["feature_service"])
    if not call.get("resend"):
        source = FeatureServiceLoggingSource(service, store.project)
        RemoteOfflineStore.write_logged_features(store.config, logs, source, None, store.registry)
        return
    offline = store.config.offline_store
    client = build_arrow_flight_client(offline.scheme, offline.host, offline.port, store.config.auth_config, offline.cert)
    command = {"command_id": call["command_id"], "api": "write_logged_features", "feature_service_name": service.name}
    descriptor = fl.FlightDescriptor.for_command(json.dumps(command))
    for _ in range(2):
        _put_parameters(descriptor, None, logs, client)


ALONE: dict = {}


def run(store: FeatureStore, call: dict) -> dict:
    from feast.infra.offline_stores.remote import RemoteOfflineStore

    if call.get("op") == "log":
        log_features(store, call)
        return {"columns": [], "rows": []}

    if call.get("op") == "persist":
        persist(store, call)
        return {"columns": [], "rows": []}

    if call.get("op") == "offline_write":
        offline_write(store, call)
        return {"columns": [], "rows": []}

    if call.get("op") == "validate":
        RemoteOfflineStore().validate_data_source(store.config, store.get_data_source(call["data_source"]))
        return {"columns": [], "rows": []}
    if call.get("op") == "columns":
        source = store.get_data_source(call["data_source"])
        listed = RemoteOfflineStore().get_table_column_names_and_types_from_data_source(store.config, source)
        return {"columns": ["name", "type"], "rows": [{"name": name, "type": type_} for name, type_ in listed]}
    if call.get("op", "historical") != "historical":
        df = pull(store, call)
        return {
            "columns": list(df.columns),
            "rows": [{column: plain(value) for column, value in row.items()} for row in df.to_dict(orient="records")],
        }
    if "alone" in call:
        # Feast alone on the same data: its file offline store, one repository per data folder.
        store = ALONE.setdefault(call["alone"], alone(f"{store.config.repo_path}/alone-{len(ALONE)}", call["alone"]))
    features = store.get_feature_service(call["feature_service"]) if "feature_service" in call else call["features"]
    if "end_date" in call:
        # Retrieval by a window alone, no entity DataFrame (Feast 0.5x and later).
        from datetime import datetime

        window = {"end_date": datetime.fromisoformat(call["end_date"])}
        if "start_date" in call:
            window["start_date"] = datetime.fromisoformat(call["start_date"])
        job = store.get_historical_features(features=features, full_feature_names=call.get("full_feature_names", False), **window)
    else:
        job = store.get_historical_features(
            entity_df=call["entity_sql"] if "entity_sql" in call else entity_frame(call["entity_rows"]),
            features=features,
            full_feature_names=call.get("full_feature_names", False),
        )
    df = job.to_df()
    return {
        "columns": list(df.columns),
        "rows": [{column: plain(value) for column, value in row.items()} for row in df.to_dict(orient="records")],
    }


def main() -> None:
    directory, host, port, url = sys.argv[1:5]
    auth = sys.argv[5] if len(sys.argv) > 5 else "no_auth"
    store = repository(directory, host, port, url, auth, sys.argv[6] if len(sys.argv) > 6 else "")
    for call in json.load(sys.stdin):
        try:
            answer = {"name": call["name"], "ok": True, **run(store, call)}
        except Exception as error:  # every failure is an answer: the test names the call that failed
            answer = {"name": call["name"], "ok": False, "error": f"{type(error).__name__}: {error}"}
        print(json.dumps(answer, default=str), flush=True)


if __name__ == "__main__":
    main()
