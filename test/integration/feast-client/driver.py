"""Feast's own Python client against `floe serve`: a Feast repository whose online store is
`{type: remote, path: <floe serve>}`, holding the same entities, views, feature service and push
source as the Floe project of feast-client.test.ts. One process serves the whole test file (Feast
takes seconds of CPU to import): each line on stdin is a request, {"repo": <a new directory>, "url":
<feature server url>, "auth": "no_auth" | "oidc", "token": <bearer token or null>, "calls": [...]},
run through a repository of its own; the answer is one JSON line per call on stdout, {"name", "ok":
true, "result": <to_dict() or null>} or {"name", "ok": false, "error": "<exception class>:
<message>"}, then {"done": true}.

Usage: python driver.py < requests.jsonl
"""

import json
import os
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
    PushSource,
    ValueType,
)
from feast.data_source import PushMode  # noqa: E402
from feast.types import Float64, Int64  # noqa: E402


def repository(directory: str, url: str, auth: str) -> FeatureStore:
    # auth "oidc": Feast's client sends the token in FEAST_OIDC_TOKEN as a bearer token.
    with open(f"{directory}/feature_store.yaml", "w") as config:
        config.write(
            f"""project: floe_feast_client
registry: {directory}/registry.db
provider: local
online_store:
  type: remote
  path: {url}
offline_store:
  type: file
entity_key_serialization_version: 3
auth:
  type: {auth}
"""
        )
    store = FeatureStore(repo_path=directory)
    driver = Entity(name="driver", join_keys=["driver_id"], value_type=ValueType.INT64)
    city = Entity(name="city", join_keys=["city"], value_type=ValueType.STRING)
    stats_source = FileSource(
        name="driver_source",
        path=f"{directory}/unused.parquet",
        timestamp_field="event_timestamp",
        created_timestamp_column="created",
    )
    stats = FeatureView(
        name="driver_stats_view",
        entities=[driver],
        ttl=timedelta(hours=6),
        schema=[Field(name="conv_rate", dtype=Float64), Field(name="trips", dtype=Int64)],
        source=stats_source,
    )
    city_source = FileSource(
        name="driver_city_source", path=f"{directory}/unused-city.parquet", timestamp_field="event_timestamp"
    )
    city_stats = FeatureView(
        name="driver_city_view",
        entities=[driver, city],
        ttl=timedelta(days=30),
        schema=[Field(name="rides", dtype=Int64), Field(name="rating", dtype=Float64)],
        source=city_source,
    )
    live_batch = FileSource(
        name="driver_live_source",
        path=f"{directory}/unused-live.parquet",
        timestamp_field="event_timestamp",
        created_timestamp_column="created",
    )
    push = PushSource(name="driver_push", batch_source=live_batch)
    live = FeatureView(
        name="driver_live",
        entities=[driver],
        ttl=timedelta(days=3650),
        schema=[Field(name="conv_rate", dtype=Float64), Field(name="trips", dtype=Int64)],
        source=push,
    )
    # Known to Feast's registry only: Floe's answer for it is an error.
    feast_only = FeatureView(
        name="feast_only_view",
        entities=[driver],
        ttl=timedelta(days=1),
        schema=[Field(name="x", dtype=Int64)],
        source=stats_source,
    )
    service = FeatureService(name="driver_trips_model", features=[stats[["trips"]]])
    store.apply([driver, city, stats_source, stats, city_source, city_stats, live_batch, push, live, feast_only, service])
    return store


def frame(columns: dict) -> pd.DataFrame:
    df = pd.DataFrame(columns)
    for name in ("event_timestamp", "created"):
        if name in df:
            df[name] = pd.to_datetime(df[name], utc=True)
    return df


def run(store: FeatureStore, call: dict):
    op = call["op"]
    if op == "get":
        features = store.get_feature_service(call["feature_service"]) if "feature_service" in call else call["features"]
        response = store.get_online_features(
            features=features,
            entity_rows=call["entity_rows"],
            full_feature_names=call.get("full_feature_names", False),
        )
        return response.to_dict()
    if op == "write":
        store.write_to_online_store(call["feature_view_name"], frame(call["df"]))
        return None
    if op == "push":
        store.push(call["push_source_name"], frame(call["df"]), to=PushMode.ONLINE)
        return None
    raise ValueError(f"unknown op {op}")


def main() -> None:
    for line in sys.stdin:
        request = json.loads(line)
        # Feast's OIDC client reads the token from the environment on every request.
        if request.get("token") is None:
            os.environ.pop("FEAST_OIDC_TOKEN", None)
        else:
            os.environ["FEAST_OIDC_TOKEN"] = request["token"]
        store = repository(request["repo"], request["url"], request["auth"])
        for call in request["calls"]:
            try:
                answer = {"name": call["name"], "ok": True, "result": run(store, call)}
            except Exception as error:  # every failure is an answer: the test names the call that failed
                answer = {"name": call["name"], "ok": False, "error": f"{type(error).__name__}: {error}"}
            print(json.dumps(answer, default=str), flush=True)
        print(json.dumps({"done": True}), flush=True)


if __name__ == "__main__":
    main()
