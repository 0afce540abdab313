"""The Feast batch source for a table the oracles and benchmarks read: a Parquet file, or an Iceberg
table through Feast's contrib IcebergSource over pyiceberg's SqlCatalog (the same SQLite catalog file
and warehouse Floe's SQL catalog writes). Imported by test/oracles/feast_historical.py and
bench/_materialize/feast_materialize.py."""

from __future__ import annotations

from typing import Any

from feast import FileSource


def batch_source(name: str, timestamp_field: str, created_timestamp_column: str, path: str | None, iceberg: dict[str, Any] | None) -> Any:
    common = {"name": name, "timestamp_field": timestamp_field, "created_timestamp_column": created_timestamp_column}
    if iceberg is None:
        return FileSource(path=path, **common)
    from feast.infra.data_sources.contrib.iceberg_catalog import IcebergSource

    return IcebergSource(
        catalog_type="sql",
        catalog_name=iceberg["catalog_name"],
        endpoint=iceberg["uri"],
        warehouse=iceberg["warehouse"],
        namespace=iceberg["namespace"],
        table=iceberg["table"],
        **common,
    )
