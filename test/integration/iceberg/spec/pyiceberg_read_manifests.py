"""Reads a manifest list and its manifests with pyiceberg's own Avro reader and prints what it
read as JSON (the same shapes as test/fixtures/pyiceberg-manifests/generate.py writes).

    python pyiceberg_read_manifests.py /abs/path/to/snap.avro
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from pyiceberg.avro.file import AvroFile
from pyiceberg.io.pyarrow import PyArrowFileIO
from pyiceberg.manifest import ManifestFile, read_manifest_list
from pyiceberg.partitioning import PartitionField
from pyiceberg.schema import Schema

# No bytecode cache in the fixtures folder: it holds one folder per case, and nothing else.
sys.dont_write_bytecode = True
sys.path.insert(0, str(Path(__file__).resolve().parents[3] / "fixtures" / "pyiceberg-manifests"))
from generate import entry_json, manifest_file_json  # noqa: E402


def header(io, path: str) -> dict:
    with AvroFile[ManifestFile](io.new_input(path)) as reader:
        return dict(reader.header.meta)


def main() -> None:
    list_path = sys.argv[1]
    io = PyArrowFileIO()
    manifests = []
    for manifest in read_manifest_list(io.new_input(list_path)):
        meta = header(io, manifest.manifest_path)
        # pyiceberg must be able to parse the schema and partition fields Floe put in the header.
        schema = Schema.model_validate_json(meta["schema"])
        fields = [PartitionField.model_validate(f) for f in json.loads(meta["partition-spec"])]
        manifests.append(
            {
                "file": manifest_file_json(manifest),
                "meta": {k: v for k, v in meta.items() if k not in ("avro.schema", "schema", "partition-spec")},
                "schemaFieldIds": [f.field_id for f in schema.fields],
                "partitionFields": [[f.source_id, f.field_id, f.name, str(f.transform)] for f in fields],
                "entries": [entry_json(e) for e in manifest.fetch_manifest_entry(io, discard_deleted=False)],
            }
        )
    print(json.dumps({"listMeta": {k: v for k, v in header(io, list_path).items() if k != "avro.schema"}, "manifests": manifests}))


if __name__ == "__main__":
    main()
