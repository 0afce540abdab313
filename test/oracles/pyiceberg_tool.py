"""pyiceberg as an independent oracle for Floe's tests.

One JSON request on stdin, one JSON reply on stdout; on failure a traceback on stderr and exit 1.
Request: {"command": ..., "catalog": {...}, ...arguments}, or {"batch": [request, ...]} answered by
{"results": [reply, ...]} (one process for several steps). With `--serve`, requests and replies
one a line until stdin closes (see `serve`). Catalog is either
  {"type": "sql", "uri": "sqlite:////abs/catalog.db", "warehouse": "file:///abs/wh"} or
  {"type": "rest", "uri": ..., "warehouse"?: ..., "s3": {endpoint, accessKeyId, secretAccessKey, region}}.

Values in replies: 64-bit integers (long columns, snapshot ids, any int beyond 2^53) as strings,
timestamps as ISO-8601 strings in UTC with microseconds and a trailing Z, dates as YYYY-MM-DD,
decimals as strings, binary/fixed as base64, NaN and infinities as strings.
"""

from __future__ import annotations

import base64
import datetime as dt
import decimal
import json
import math
import sys
import traceback
import uuid
from typing import Any, Callable

import pyarrow as pa
import pyarrow.parquet as pq
from pyiceberg.catalog import Catalog, load_catalog
from pyiceberg.partitioning import PartitionSpec
from pyiceberg.schema import Schema
from pyiceberg.table import Table
from pyiceberg.table.sorting import SortOrder
from pyiceberg.types import NestedField

MAX_SAFE_INTEGER = 2**53 - 1
UTC = dt.timezone.utc


# ---------------------------------------------------------------- catalogs


def open_catalog(spec: dict[str, Any]) -> Catalog:
    kind = spec.get("type")
    if kind == "sql":
        return load_catalog("floe_oracle", type="sql", uri=spec["uri"], warehouse=spec["warehouse"])
    if kind == "rest":
        properties: dict[str, str] = {"type": "rest", "uri": spec["uri"]}
        if spec.get("warehouse"):
            properties["warehouse"] = spec["warehouse"]
        s3 = spec.get("s3")
        if s3:
            properties.update(
                {
                    "s3.endpoint": s3["endpoint"],
                    "s3.access-key-id": s3["accessKeyId"],
                    "s3.secret-access-key": s3["secretAccessKey"],
                    "s3.region": s3.get("region", "us-east-1"),
                    "s3.force-virtual-addressing": "false",
                }
            )
        return load_catalog("floe_oracle", **properties)
    raise ValueError(f"catalog.type must be 'sql' or 'rest', got {kind!r}")


def identifier_of(request: dict[str, Any]) -> tuple[str, ...]:
    ident = request.get("identifier")
    if isinstance(ident, str):
        return tuple(ident.split("."))
    if isinstance(ident, list) and ident and all(isinstance(part, str) for part in ident):
        return tuple(ident)
    raise ValueError(f"identifier must be 'ns.table' or ['ns', 'table'], got {ident!r}")


# ---------------------------------------------------------------- JSON out


def to_json_value(value: Any, arrow_type: pa.DataType | None = None) -> Any:
    """A Python/Arrow value as JSON that survives JavaScript's JSON.parse unchanged."""
    if value is None:
        return None
    if arrow_type is not None:
        if pa.types.is_struct(arrow_type):
            return {
                arrow_type.field(i).name: to_json_value(value.get(arrow_type.field(i).name), arrow_type.field(i).type)
                for i in range(arrow_type.num_fields)
            }
        if pa.types.is_map(arrow_type):
            return [
                {"key": to_json_value(k, arrow_type.key_type), "value": to_json_value(v, arrow_type.item_type)}
                for k, v in value
            ]
        if pa.types.is_list(arrow_type) or pa.types.is_large_list(arrow_type) or pa.types.is_fixed_size_list(arrow_type):
            return [to_json_value(item, arrow_type.value_type) for item in value]
        if pa.types.is_integer(arrow_type) and arrow_type.bit_width == 64:
            return str(value)
    return plain_json_value(value)


def plain_json_value(value: Any) -> Any:
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, int):
        return value if -MAX_SAFE_INTEGER <= value <= MAX_SAFE_INTEGER else str(value)
    if isinstance(value, float):
        if math.isnan(value):
            return "NaN"
        if math.isinf(value):
            return "Infinity" if value > 0 else "-Infinity"
        return value
    if isinstance(value, dt.datetime):
        aware = value if value.tzinfo is not None else value.replace(tzinfo=UTC)
        return aware.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, dt.time):
        return value.strftime("%H:%M:%S.%f")
    if isinstance(value, decimal.Decimal):
        return str(value)
    if isinstance(value, (bytes, bytearray, memoryview)):
        return base64.b64encode(bytes(value)).decode("ascii")
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, dict):
        return {str(k): plain_json_value(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain_json_value(item) for item in value]
    raise TypeError(f"no JSON form for {type(value).__name__}: {value!r}")


def arrow_rows(table: pa.Table) -> list[dict[str, Any]]:
    columns = []
    for field in table.schema:
        column = table.column(field.name)
        if pa.types.is_timestamp(field.type) and field.type.unit == "ns":
            # to_pylist would need pandas for nanoseconds: format from the integer instead.
            nanos = column.cast(pa.int64()).to_pylist()
            columns.append([None if n is None else format_nanos(n) for n in nanos])
        else:
            columns.append([to_json_value(v, field.type) for v in column.to_pylist()])
    names = table.schema.names
    return [dict(zip(names, values)) for values in zip(*columns)] if columns else []


def format_nanos(nanos: int) -> str:
    seconds, rest = divmod(nanos, 1_000_000_000)
    return dt.datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{rest:09d}Z"


def snapshot_id_of(table: Table) -> str | None:
    snapshot = table.current_snapshot()
    return None if snapshot is None else str(snapshot.snapshot_id)


def table_state(table: Table) -> dict[str, Any]:
    return {"metadata_location": table.metadata_location, "snapshot_id": snapshot_id_of(table)}


# ---------------------------------------------------------------- JSON in


def iceberg_type(type_json: Any):
    """An Iceberg type from its JSON form ("long", "decimal(9,2)", {"type": "struct", ...})."""
    return NestedField.model_validate({"id": 1, "name": "x", "type": type_json, "required": False}).field_type


def arrow_type_for(type_json: Any) -> pa.DataType:
    if isinstance(type_json, str):
        simple = {
            "boolean": pa.bool_(),
            "int": pa.int32(),
            "long": pa.int64(),
            "float": pa.float32(),
            "double": pa.float64(),
            "string": pa.large_string(),
            "binary": pa.large_binary(),
            "date": pa.date32(),
            "time": pa.time64("us"),
            "timestamp": pa.timestamp("us"),
            "timestamptz": pa.timestamp("us", tz="UTC"),
            "timestamp_ns": pa.timestamp("ns"),
            "timestamptz_ns": pa.timestamp("ns", tz="UTC"),
            "uuid": pa.binary(16),
        }
        if type_json in simple:
            return simple[type_json]
        if type_json.startswith("decimal("):
            precision, scale = (int(part) for part in type_json[len("decimal(") : -1].split(","))
            return pa.decimal128(precision, scale)
        if type_json.startswith("fixed["):
            return pa.binary(int(type_json[len("fixed[") : -1]))
    raise ValueError(f"append: unsupported column type {type_json!r} (primitive Iceberg type names only)")


def python_value(value: Any, type_json: str) -> Any:
    """A JSON cell as the Python value pyarrow expects for that Iceberg type."""
    if value is None:
        return None
    if type_json in ("int", "long"):
        return int(value)
    if type_json in ("float", "double"):
        return float(value)
    if type_json in ("timestamp", "timestamp_ns"):
        parsed = dt.datetime.fromisoformat(value)
        # A zone-less column: an instant written with a zone is stored as its UTC wall time.
        return parsed if parsed.tzinfo is None else parsed.astimezone(UTC).replace(tzinfo=None)
    if type_json in ("timestamptz", "timestamptz_ns"):
        parsed = dt.datetime.fromisoformat(value)
        return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)
    if type_json == "date":
        return dt.date.fromisoformat(value)
    if type_json == "time":
        return dt.time.fromisoformat(value)
    if type_json.startswith("decimal("):
        return decimal.Decimal(str(value))
    if type_json in ("binary", "uuid") or type_json.startswith("fixed["):
        return uuid.UUID(value).bytes if type_json == "uuid" else base64.b64decode(value)
    return value


def arrow_table_from_rows(table: Table, rows: list[dict[str, Any]], columns: dict[str, str]) -> pa.Table:
    iceberg_fields = {field.name: field for field in table.schema().fields}
    arrow_fields = []
    for name, type_json in columns.items():
        field = iceberg_fields.get(name)
        arrow_fields.append(pa.field(name, arrow_type_for(type_json), nullable=not (field is not None and field.required)))
    schema = pa.schema(arrow_fields)
    data = {name: [python_value(row.get(name), type_json) for row in rows] for name, type_json in columns.items()}
    return pa.Table.from_pydict(data, schema=schema)


# ---------------------------------------------------------------- commands


def ensure_namespace(catalog: Catalog, namespace: tuple[str, ...]) -> None:
    """create_namespace_if_not_exists, safe when two oracle servers create one namespace at once:
    pyiceberg's SQL catalog checks and then inserts, so the slower insert fails on the unique key."""
    try:
        catalog.create_namespace_if_not_exists(namespace)
    except Exception:
        if not catalog.namespace_exists(namespace):
            raise


def create_table(catalog: Catalog, request: dict[str, Any]) -> dict[str, Any]:
    ident = identifier_of(request)
    ensure_namespace(catalog, ident[:-1])
    schema = Schema.model_validate(request["schema"])
    properties = {str(k): str(v) for k, v in (request.get("properties") or {}).items()}
    if request.get("format_version") is not None:
        properties["format-version"] = str(request["format_version"])
    arguments: dict[str, Any] = {"properties": properties}
    if request.get("partition_spec") is not None:
        arguments["partition_spec"] = PartitionSpec.model_validate(request["partition_spec"])
    if request.get("sort_order") is not None:
        arguments["sort_order"] = SortOrder.model_validate(request["sort_order"])
    if request.get("location"):
        arguments["location"] = request["location"]
    table = catalog.create_table(ident, schema, **arguments)
    return table_state(table)


def append(catalog: Catalog, request: dict[str, Any]) -> dict[str, Any]:
    table = catalog.load_table(identifier_of(request))
    if request.get("parquet"):
        data = pq.read_table(request["parquet"])
    else:
        columns = request.get("columns")
        if not isinstance(columns, dict) or not columns:
            raise ValueError("append: give 'parquet' (a path) or 'rows' with 'columns' (column name -> Iceberg type)")
        data = arrow_table_from_rows(table, request.get("rows") or [], columns)
    table.append(data, snapshot_properties={str(k): str(v) for k, v in (request.get("snapshot_properties") or {}).items()})
    return table_state(table)


def delete(catalog: Catalog, request: dict[str, Any]) -> dict[str, Any]:
    table = catalog.load_table(identifier_of(request))
    table.delete(delete_filter=request["filter"])
    return table_state(table)


def add_column(catalog: Catalog, request: dict[str, Any]) -> dict[str, Any]:
    table = catalog.load_table(identifier_of(request))
    path = tuple(request["name"]) if isinstance(request["name"], list) else request["name"]
    with table.update_schema() as update:
        update.add_column(path, iceberg_type(request["type"]), doc=request.get("doc"), required=bool(request.get("required", False)))
    return table_state(table)


def rename_column(catalog: Catalog, request: dict[str, Any]) -> dict[str, Any]:
    table = catalog.load_table(identifier_of(request))
    path = tuple(request["from"]) if isinstance(request["from"], list) else request["from"]
    with table.update_schema() as update:
        update.rename_column(path, request["to"])
    return table_state(table)


def read(catalog: Catalog, request: dict[str, Any]) -> dict[str, Any]:
    table = catalog.load_table(identifier_of(request))
    arguments: dict[str, Any] = {}
    if request.get("snapshot_id") is not None:
        arguments["snapshot_id"] = int(request["snapshot_id"])
    if request.get("columns"):
        arguments["selected_fields"] = tuple(request["columns"])
    if request.get("row_filter"):
        arguments["row_filter"] = request["row_filter"]
    data = table.scan(**arguments).to_arrow()
    return {"rows": arrow_rows(data), "columns": data.schema.names}


INSPECTIONS = ("snapshots", "manifests", "entries", "files", "data_files", "delete_files", "partitions", "history", "refs", "metadata_log_entries", "all_manifests")


def inspect(catalog: Catalog, request: dict[str, Any]) -> dict[str, Any]:
    table = catalog.load_table(identifier_of(request))
    what = request.get("what")
    if what not in INSPECTIONS:
        raise ValueError(f"inspect: 'what' must be one of {', '.join(INSPECTIONS)}, got {what!r}")
    method: Callable[..., pa.Table] = getattr(table.inspect, what)
    snapshot_id = request.get("snapshot_id")
    result = method(snapshot_id=int(snapshot_id)) if snapshot_id is not None else method()
    return {"rows": arrow_rows(result)}


def load_metadata(catalog: Catalog, request: dict[str, Any]) -> dict[str, Any]:
    table = catalog.load_table(identifier_of(request))
    with table.io.new_input(table.metadata_location).open() as stream:
        raw = stream.read().decode("utf-8")
    return {
        "metadata_location": table.metadata_location,
        # Exact text, for a lossless parse on the TypeScript side ...
        "metadata_json": raw,
        # ... and a parsed copy in which integers beyond 2^53 are strings.
        "metadata": plain_json_value(json.loads(raw)),
    }


COMMANDS: dict[str, Callable[[Catalog, dict[str, Any]], dict[str, Any]]] = {
    "create_table": create_table,
    "append": append,
    "delete": delete,
    "add_column": add_column,
    "rename_column": rename_column,
    "read": read,
    "inspect": inspect,
    "load_metadata": load_metadata,
}


def run_one(request: dict[str, Any], catalogs: dict[str, Catalog]) -> dict[str, Any]:
    command = request.get("command")
    handler = COMMANDS.get(command)
    if handler is None:
        raise ValueError(f"unknown command {command!r}; expected one of {', '.join(COMMANDS)}")
    key = json.dumps(request.get("catalog") or {}, sort_keys=True)
    if key not in catalogs:
        catalogs[key] = open_catalog(request.get("catalog") or {})
    return handler(catalogs[key], request)


def answer(request: dict[str, Any]) -> dict[str, Any]:
    """The reply to one request: a command, or a batch of them run in order."""
    catalogs: dict[str, Catalog] = {}
    if "batch" not in request:
        return run_one(request, catalogs)
    results = []
    for index, step in enumerate(request["batch"]):
        try:
            results.append(run_one(step, catalogs))
        except Exception as error:
            error.add_note(f"batch step {index} ({step.get('command')!r}) failed")
            raise
    return {"results": results}


def serve() -> int:
    """`--serve`: one request per line on stdin, one reply per line on stdout, {"reply": ...} or
    {"error": traceback}, until stdin closes. Importing pyarrow and pyiceberg costs ~1.5 s a start;
    a test process keeps a few of these servers instead of starting Python for every request.
    Each request opens its catalogs afresh, as a process of its own would. Anything else printed
    while answering goes to stderr, so it cannot break the reply protocol."""
    replies = sys.stdout
    sys.stdout = sys.stderr
    while True:
        line = sys.stdin.readline()
        if line == "":
            return 0
        if line.strip() == "":
            continue
        try:
            reply: dict[str, Any] = {"reply": answer(json.loads(line))}
        except Exception:
            reply = {"error": traceback.format_exc()}
        replies.write(json.dumps(reply) + "\n")
        replies.flush()


def main() -> int:
    if sys.argv[1:] == ["--serve"]:
        return serve()
    json.dump(answer(json.load(sys.stdin)), sys.stdout)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
