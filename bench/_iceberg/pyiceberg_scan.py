"""The pyiceberg peer of bench/scan.ts: times table.scan(selected_fields=('value',)).to_arrow()
plus pyarrow's count and sum, once to warm up and then `repeats` times, inside Python.
Usage: python pyiceberg_scan.py request.json  ->  {"times": [ms, ...], "count": n, "sum": x}"""

import json
import sys
import time

import pyarrow.compute as pc
from pyiceberg.catalog import load_catalog


def main() -> int:
    with open(sys.argv[1]) as f:
        request = json.load(f)
    catalog = load_catalog("floe_oracle", type="sql", uri=request["uri"], warehouse=request["warehouse"])

    def once() -> tuple[int, float]:
        table = catalog.load_table(request["identifier"])
        data = table.scan(selected_fields=("value",)).to_arrow()
        return data.num_rows, pc.sum(data.column("value")).as_py()

    once()
    times = []
    for _ in range(int(request["repeats"])):
        started = time.perf_counter()
        count, total = once()
        times.append((time.perf_counter() - started) * 1000)
    json.dump({"times": times, "count": count, "sum": total}, sys.stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main())
