"""The pyiceberg peer of bench/scan.ts: times
table.scan(row_filter, selected_fields=('id', 'value'), snapshot_id).to_arrow() plus pyarrow's
count and sums, inside Python, timed as peer_timing.timed_runs says.
Usage: python pyiceberg_scan.py request.json
  request: {"uri", "warehouse", "identifier", "row_filter"?, "snapshot_id"?, "repeats", "budget_ms"}
  ->  {"times": [ms, ...], "count": n, "id_sum": "n", "value_sum": x}"""

import json
import sys

import pyarrow.compute as pc
from pyiceberg.catalog import load_catalog
from pyiceberg.expressions import AlwaysTrue

from peer_timing import timed_runs


def main() -> int:
    with open(sys.argv[1]) as f:
        request = json.load(f)
    catalog = load_catalog("floe_oracle", type="sql", uri=request["uri"], warehouse=request["warehouse"])
    row_filter = request.get("row_filter") or AlwaysTrue()
    snapshot_id = int(request["snapshot_id"]) if request.get("snapshot_id") is not None else None

    def once() -> tuple[int, int, float]:
        table = catalog.load_table(request["identifier"])
        data = table.scan(row_filter=row_filter, selected_fields=("id", "value"), snapshot_id=snapshot_id).to_arrow()
        id_sum = pc.sum(data.column("id")).as_py() or 0
        value_sum = pc.sum(data.column("value")).as_py() or 0.0
        return data.num_rows, id_sum, value_sum

    times, (count, id_sum, value_sum) = timed_runs(once, int(request["repeats"]), float(request["budget_ms"]))
    json.dump({"times": times, "count": count, "id_sum": str(id_sum), "value_sum": value_sum}, sys.stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main())
