"""The DuckDB iceberg_scan peer of bench/scan.ts: DuckDB's own Iceberg reader (the `iceberg`
extension, from the pip package duckdb-ext-iceberg, never from DuckDB's extension repository) over
the table's metadata file, with the bench's filter in SQL; timed as peer_timing.timed_runs says.
Usage: python duckdb_iceberg_scan.py request.json
  request: {"extensions": dir, "metadata": path, "where": sql, "repeats": n, "budget_ms": ms}
  ->  {"times": [ms, ...], "count": n, "id_sum": n, "value_sum": x, "version": "1.4.4"}"""

import json
import sys

import duckdb
from peer_timing import timed_runs


def main() -> int:
    with open(sys.argv[1]) as f:
        request = json.load(f)
    connection = duckdb.connect()
    # Extensions come only from the pip package's folder: nothing is downloaded at run time.
    connection.execute("SET autoinstall_known_extensions = false")
    connection.execute("SET extension_directory = ?", [request["extensions"]])
    connection.execute("LOAD avro")
    connection.execute("LOAD iceberg")
    # count(ts): DuckDB 1.4.4's iceberg_scan applies an equality delete file only when every column
    # the file holds is projected (the table's delete files also hold `ts`, their partition's source
    # column); without it, it fails ("Equality deletes need the relevant columns to be selected", or
    # an internal error when `ts` is only filtered on).
    query = "SELECT count(*), sum(id), sum(value), count(ts) FROM iceberg_scan(?) WHERE " + request["where"]

    def once() -> tuple[int, int, float]:
        count, id_sum, value_sum, _ = connection.execute(query, [request["metadata"]]).fetchone()
        return int(count), int(id_sum or 0), float(value_sum or 0.0)

    times, (count, id_sum, value_sum) = timed_runs(once, int(request["repeats"]), float(request["budget_ms"]))
    json.dump(
        {"times": times, "count": count, "id_sum": str(id_sum), "value_sum": value_sum, "version": duckdb.__version__},
        sys.stdout,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
