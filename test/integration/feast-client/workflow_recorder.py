"""Runs the test_workflow.py of Feast's `feast init` template unmodified, as `python test_workflow.py`
in its folder, and records what each of its Feast calls gave back, for test-workflow.test.ts:
get_historical_features(...).to_df() (columns and rows), get_online_features(...).to_dict(),
materialize_incremental and push (done or the error), and the exit code of the `feast` commands it
runs by subprocess. The script's own output goes to stdout as it prints it.

Usage: python workflow_recorder.py <feature_repo folder> <record file (JSON)>
"""

import datetime as dt
import functools
import json
import math
import os
import runpy
import subprocess
import sys
import traceback

import pandas as pd
from feast import FeatureStore

records: list = []


def plain(value):
    """A value as JSON: timestamps as UTC ISO text, numpy scalars as Python's, NaN as null."""
    if isinstance(value, dict):
        return {str(key): plain(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)) or (hasattr(value, "tolist") and not hasattr(value, "item")):
        return [plain(item) for item in (value.tolist() if hasattr(value, "tolist") else value)]
    if value is None or value is pd.NaT:
        return None
    if isinstance(value, (pd.Timestamp, dt.datetime)):
        stamp = pd.Timestamp(value)
        return (stamp.tz_convert("UTC") if stamp.tzinfo else stamp.tz_localize("UTC")).isoformat()
    if hasattr(value, "item"):
        value = value.item()
    if isinstance(value, float) and math.isnan(value):
        return None
    return value


def recorded(name, call):
    """Wraps a FeatureStore method: records that it ended, or its error (then raises it on)."""

    @functools.wraps(call)
    def wrapper(*args, **kwargs):
        try:
            result = call(*args, **kwargs)
        except Exception as error:
            records.append({"call": name, "error": f"{type(error).__name__}: {error}"})
            raise
        if name == "get_historical_features":
            to_df = result.to_df

            def recorded_to_df(*a, **k):
                try:
                    df = to_df(*a, **k)
                except Exception as error:
                    records.append({"call": name, "error": f"{type(error).__name__}: {error}"})
                    raise
                rows = [{column: plain(value) for column, value in row.items()} for row in df.to_dict(orient="records")]
                records.append({"call": name, "columns": [str(column) for column in df.columns], "rows": rows})
                return df

            result.to_df = recorded_to_df
        elif name == "get_online_features":
            to_dict = result.to_dict

            def recorded_to_dict(*a, **k):
                answer = to_dict(*a, **k)
                records.append({"call": name, "features": plain(answer)})
                return answer

            result.to_dict = recorded_to_dict
        else:
            records.append({"call": name, "done": True})
        return result

    return wrapper


for method in ("get_historical_features", "get_online_features", "materialize_incremental", "push"):
    setattr(FeatureStore, method, recorded(method, getattr(FeatureStore, method)))

run_subprocess = subprocess.run


def recorded_run(args, *rest, **kwargs):
    finished = run_subprocess(args, *rest, **kwargs)
    records.append({"call": "subprocess", "args": list(args), "returncode": finished.returncode})
    return finished


subprocess.run = recorded_run


def main() -> int:
    repo, record_file = sys.argv[1:3]
    os.chdir(repo)
    sys.path.insert(0, repo)
    code = 0
    try:
        runpy.run_path("test_workflow.py", run_name="__main__")
    except Exception as error:
        traceback.print_exc()
        records.append({"call": "test_workflow.py", "error": f"{type(error).__name__}: {error}"})
        code = 1
    sys.stdout.flush()
    with open(record_file, "w") as stream:
        json.dump(records, stream, default=str)
    return code


if __name__ == "__main__":
    sys.exit(main())
