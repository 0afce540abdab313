"""Feast's own client on the repository `feast init` writes, its online store pointed at `floe serve`,
for test/integration/features/feast-import.test.ts.

Reads {"repo": <feature_repo folder>, "url": <floe serve>} on stdin. Points the repository's online
store at the server ({type: remote, path: <url>}: the one change to the template), pushes the row
the template's test_workflow.py pushes (its Map, Json and Struct values included) with
PushMode.ONLINE_AND_OFFLINE, then reads the template's feature service driver_activity_v3 for its
two drivers and extra request values, and prints {"before": to_dict(), "after": to_dict()}.
"""

import contextlib
import json
import sys
import warnings
from datetime import datetime, timezone

warnings.filterwarnings("ignore")

import pandas as pd  # noqa: E402
import yaml  # noqa: E402
from feast import FeatureStore  # noqa: E402
from feast.data_source import PushMode  # noqa: E402

ENTITY_ROWS = [
    {"driver_id": 1001, "val_to_add": 1000, "val_to_add_2": 2000},
    {"driver_id": 1002, "val_to_add": 1001, "val_to_add_2": 2002},
]


def main() -> None:
    request = json.load(sys.stdin)
    config_file = f"{request['repo']}/feature_store.yaml"
    with open(config_file) as stream:
        config = yaml.safe_load(stream)
    config["online_store"] = {"type": "remote", "path": request["url"]}
    with open(config_file, "w") as stream:
        yaml.safe_dump(config, stream)
    store = FeatureStore(repo_path=request["repo"])
    service = store.get_feature_service("driver_activity_v3")
    with contextlib.redirect_stdout(sys.stderr):  # Feast prints its progress; stdout is the answer
        before = store.get_online_features(features=service, entity_rows=ENTITY_ROWS).to_dict()
        # test_workflow.py's event, as the template pushes it.
        now = datetime.now(timezone.utc).replace(tzinfo=None)
        event_df = pd.DataFrame.from_dict(
            {
                "driver_id": [1001],
                "event_timestamp": [now],
                "created": [now],
                "conv_rate": [1.0],
                "acc_rate": [1.0],
                "avg_daily_trips": [1000],
                "driver_metadata": [{"vehicle_type": "truck", "rating": "5.0"}],
                "driver_config": [json.dumps({"max_distance_km": 500, "preferred_zones": ["north"]})],
                "driver_profile": [{"name": "driver_1001_updated", "age": "30"}],
            }
        )
        store.push("driver_stats_push_source", event_df, to=PushMode.ONLINE_AND_OFFLINE)
        after = store.get_online_features(features=service, entity_rows=ENTITY_ROWS).to_dict()
    json.dump({"before": before, "after": after}, sys.stdout, default=str)


if __name__ == "__main__":
    main()
