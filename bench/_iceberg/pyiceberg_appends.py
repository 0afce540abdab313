"""The pyiceberg peer of bench/commit.ts: one writer appending `count` small row sets (2 rows each)
to an existing table, timed inside Python after one warm-up append.
Usage: python pyiceberg_appends.py request.json -> {"times": [ms, ...]}
request: {"catalog": {...as test/oracles/pyiceberg_tool.py takes it}, "identifier", "count", "writer"}"""

import json
import os
import sys
import time

import pyarrow as pa

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "test", "oracles"))
import pyiceberg_tool as tool  # noqa: E402


def main() -> int:
    with open(sys.argv[1]) as f:
        request = json.load(f)
    catalog = tool.open_catalog(request["catalog"])
    table = catalog.load_table(request["identifier"])
    schema = pa.schema(
        [
            pa.field("id", pa.int64(), nullable=False),
            pa.field("writer", pa.int32(), nullable=False),
            pa.field("append", pa.int32(), nullable=False),
            pa.field("payload", pa.large_string()),
        ]
    )
    writer = int(request["writer"])

    def rows(append: int) -> pa.Table:
        base = writer * 1_000_000 + append * 2
        return pa.table({"id": [base, base + 1], "writer": [writer] * 2, "append": [append] * 2, "payload": [f"w{writer}-a{append}-r{i}" for i in range(2)]}, schema=schema)

    table.append(rows(0))
    times = []
    for append in range(1, int(request["count"]) + 1):
        started = time.perf_counter()
        table.append(rows(append))
        times.append((time.perf_counter() - started) * 1000)
    json.dump({"times": times}, sys.stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main())
