"""pyiceberg commands the interop tests need beyond test/oracles/pyiceberg_tool.py's.

Same protocol and value conventions as that tool (it is imported and its main loop reused): one
JSON request on stdin, one JSON reply on stdout. Added commands:
  drop_column {name}                       update_schema().delete_column
  update_column {name, type}               update_schema().update_column (type promotion)
  add_partition_field {source, transform, name}   update_spec().add_field
  remove_partition_field {name}            update_spec().remove_field
  set_properties {properties}
  create_tag {name, snapshot_id}           manage_snapshots().create_tag
  create_branch {name, snapshot_id}        manage_snapshots().create_branch
  snapshots {}                             every snapshot (id, parent, sequence number, timestamp, summary) and refs
  read_at {snapshot_id | ref | as_of_ms, row_filter?, columns?}   a time-travel read resolved by pyiceberg itself
  count {}                                 row count and distinct ids of the current snapshot
  manifest_entries {snapshot_id?}          every manifest entry of a snapshot as pyiceberg's own Avro
                                           reader sees it, bounds raw (base64) and decoded by
                                           pyiceberg.conversions (inspect.files cannot: pyarrow
                                           refuses its uuid extension type in readable_metrics)
"""

from __future__ import annotations

import os
import sys
from typing import Any

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "oracles"))

import pyarrow.compute as pc  # noqa: E402
import pyiceberg_tool as tool  # noqa: E402
from pyiceberg.catalog import Catalog  # noqa: E402
from pyiceberg.conversions import from_bytes  # noqa: E402
from pyiceberg.transforms import parse_transform  # noqa: E402


def drop_column(catalog: Catalog, request: dict[str, Any]) -> dict[str, Any]:
    table = catalog.load_table(tool.identifier_of(request))
    with table.update_schema() as update:
        update.delete_column(request["name"])
    return tool.table_state(table)


def update_column(catalog: Catalog, request: dict[str, Any]) -> dict[str, Any]:
    table = catalog.load_table(tool.identifier_of(request))
    with table.update_schema() as update:
        update.update_column(request["name"], field_type=tool.iceberg_type(request["type"]))
    return tool.table_state(table)


def add_partition_field(catalog: Catalog, request: dict[str, Any]) -> dict[str, Any]:
    table = catalog.load_table(tool.identifier_of(request))
    with table.update_spec() as update:
        update.add_field(request["source"], parse_transform(request["transform"]), request.get("name"))
    return tool.table_state(table)


def remove_partition_field(catalog: Catalog, request: dict[str, Any]) -> dict[str, Any]:
    table = catalog.load_table(tool.identifier_of(request))
    with table.update_spec() as update:
        update.remove_field(request["name"])
    return tool.table_state(table)


def set_properties(catalog: Catalog, request: dict[str, Any]) -> dict[str, Any]:
    table = catalog.load_table(tool.identifier_of(request))
    with table.transaction() as transaction:
        transaction.set_properties({str(k): str(v) for k, v in request["properties"].items()})
    return tool.table_state(table)


def create_tag(catalog: Catalog, request: dict[str, Any]) -> dict[str, Any]:
    table = catalog.load_table(tool.identifier_of(request))
    table.manage_snapshots().create_tag(int(request["snapshot_id"]), request["name"]).commit()
    return tool.table_state(table)


def create_branch(catalog: Catalog, request: dict[str, Any]) -> dict[str, Any]:
    table = catalog.load_table(tool.identifier_of(request))
    table.manage_snapshots().create_branch(int(request["snapshot_id"]), request["name"]).commit()
    return tool.table_state(table)


def snapshots(catalog: Catalog, request: dict[str, Any]) -> dict[str, Any]:
    table = catalog.load_table(tool.identifier_of(request))
    return {
        "snapshots": [
            {
                "snapshot_id": str(s.snapshot_id),
                "parent_snapshot_id": None if s.parent_snapshot_id is None else str(s.parent_snapshot_id),
                "sequence_number": s.sequence_number,
                "timestamp_ms": s.timestamp_ms,
                "schema_id": s.schema_id,
                "summary": {} if s.summary is None else {str(k): str(v) for k, v in s.summary.additional_properties.items()} | {"operation": s.summary.operation.value},
            }
            for s in table.metadata.snapshots
        ],
        "refs": {name: {"snapshot_id": str(ref.snapshot_id), "type": ref.snapshot_ref_type.value} for name, ref in table.metadata.refs.items()},
        "snapshot_log": [{"snapshot_id": str(e.snapshot_id), "timestamp_ms": e.timestamp_ms} for e in table.metadata.snapshot_log],
    }


def read_at(catalog: Catalog, request: dict[str, Any]) -> dict[str, Any]:
    table = catalog.load_table(tool.identifier_of(request))
    if request.get("ref") is not None:
        snapshot = table.snapshot_by_name(request["ref"])
    elif request.get("as_of_ms") is not None:
        snapshot = table.snapshot_as_of_timestamp(int(request["as_of_ms"]))
    else:
        snapshot = table.snapshot_by_id(int(request["snapshot_id"]))
    if snapshot is None:
        raise ValueError(f"read_at: no snapshot for {request!r}")
    arguments: dict[str, Any] = {"snapshot_id": snapshot.snapshot_id}
    if request.get("row_filter"):
        arguments["row_filter"] = request["row_filter"]
    if request.get("columns"):
        arguments["selected_fields"] = tuple(request["columns"])
    data = table.scan(**arguments).to_arrow()
    return {"snapshot_id": str(snapshot.snapshot_id), "rows": tool.arrow_rows(data), "columns": data.schema.names}


def count(catalog: Catalog, request: dict[str, Any]) -> dict[str, Any]:
    table = catalog.load_table(tool.identifier_of(request))
    column = request.get("column", "id")
    data = table.scan(selected_fields=(column,)).to_arrow()
    values = data.column(column)
    return {
        "rows": data.num_rows,
        "distinct": pc.count_distinct(values).as_py(),
        "snapshots": len(table.metadata.snapshots),
    }


def manifest_entries(catalog: Catalog, request: dict[str, Any]) -> dict[str, Any]:
    table = catalog.load_table(tool.identifier_of(request))
    snapshot = table.snapshot_by_id(int(request["snapshot_id"])) if request.get("snapshot_id") else table.current_snapshot()
    if snapshot is None:
        return {"entries": []}
    schema = table.schema() if snapshot.schema_id is None else table.schemas()[snapshot.schema_id]
    types = {field.field_id: field.field_type for field in schema.fields}
    specs = table.specs()

    def decode(bounds: dict[int, bytes] | None) -> dict[str, Any] | None:
        if bounds is None:
            return None
        return {str(k): tool.plain_json_value(from_bytes(types[k], v)) if k in types else None for k, v in bounds.items()}

    def raw(values: dict[int, Any] | None) -> dict[str, Any] | None:
        return None if values is None else {str(k): tool.plain_json_value(v) for k, v in values.items()}

    entries = []
    for manifest in snapshot.manifests(table.io):
        spec = specs[manifest.partition_spec_id]
        for entry in manifest.fetch_manifest_entry(table.io, discard_deleted=False):
            data_file = entry.data_file
            entries.append(
                {
                    "manifest": manifest.manifest_path,
                    "status": int(entry.status),
                    "snapshot_id": str(entry.snapshot_id),
                    "sequence_number": entry.sequence_number,
                    "file_sequence_number": entry.file_sequence_number,
                    "content": int(data_file.content),
                    "file_path": data_file.file_path,
                    "file_format": str(data_file.file_format.value),
                    "partition": {field.name: tool.plain_json_value(data_file.partition[i]) for i, field in enumerate(spec.fields)},
                    "record_count": data_file.record_count,
                    "file_size_in_bytes": data_file.file_size_in_bytes,
                    "column_sizes": raw(data_file.column_sizes),
                    "value_counts": raw(data_file.value_counts),
                    "null_value_counts": raw(data_file.null_value_counts),
                    "nan_value_counts": raw(data_file.nan_value_counts),
                    "lower_bounds": raw(data_file.lower_bounds),
                    "upper_bounds": raw(data_file.upper_bounds),
                    "lower_values": decode(data_file.lower_bounds),
                    "upper_values": decode(data_file.upper_bounds),
                    "split_offsets": data_file.split_offsets,
                    "sort_order_id": data_file.sort_order_id,
                }
            )
    return {"entries": entries}


tool.COMMANDS.update(
    {
        "drop_column": drop_column,
        "update_column": update_column,
        "add_partition_field": add_partition_field,
        "remove_partition_field": remove_partition_field,
        "set_properties": set_properties,
        "create_tag": create_tag,
        "create_branch": create_branch,
        "snapshots": snapshots,
        "read_at": read_at,
        "count": count,
        "manifest_entries": manifest_entries,
    }
)

if __name__ == "__main__":
    sys.exit(tool.main())
