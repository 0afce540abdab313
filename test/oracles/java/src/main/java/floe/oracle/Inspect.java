package floe.oracle;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import org.apache.iceberg.ContentFile;
import org.apache.iceberg.DataFile;
import org.apache.iceberg.DeleteFile;
import org.apache.iceberg.FileScanTask;
import org.apache.iceberg.ManifestFile;
import org.apache.iceberg.ManifestFiles;
import org.apache.iceberg.ManifestReader;
import org.apache.iceberg.PartitionSpec;
import org.apache.iceberg.PartitionSpecParser;
import org.apache.iceberg.Schema;
import org.apache.iceberg.SchemaParser;
import org.apache.iceberg.Snapshot;
import org.apache.iceberg.StructLike;
import org.apache.iceberg.Table;
import org.apache.iceberg.TableMetadata;
import org.apache.iceberg.TableScan;
import org.apache.iceberg.catalog.Catalog;
import org.apache.iceberg.data.IcebergGenerics;
import org.apache.iceberg.data.Record;
import org.apache.iceberg.expressions.ExpressionParser;
import org.apache.iceberg.io.CloseableIterable;
import org.apache.iceberg.types.Types;

/** Reading rows with Java's own reader, and describing snapshots, files and Java's scan plan. */
final class Inspect {
  private Inspect() {}

  /**
   * read {identifier, snapshot_id?, columns?, filter? (Iceberg expression JSON, as in the REST
   * spec)}: rows through IcebergGenerics.read, which applies position and equality deletes.
   */
  static JsonNode read(Catalog catalog, JsonNode request) throws IOException {
    Table table = catalog.loadTable(Catalogs.identifier(request));
    Long snapshotId = Json.optionalLong(request, "snapshot_id");
    IcebergGenerics.ScanBuilder scan = IcebergGenerics.read(table);
    Schema schema = table.schema();
    if (snapshotId != null) {
      Snapshot snapshot = snapshot(table, snapshotId);
      scan = scan.useSnapshot(snapshotId);
      if (snapshot.schemaId() != null) schema = table.schemas().get(snapshot.schemaId());
    }
    if (Json.has(request, "columns")) {
      List<String> columns = Json.stringList(request, "columns");
      scan = scan.select(columns);
      schema = schema.select(columns);
    }
    if (Json.has(request, "filter")) scan = scan.where(ExpressionParser.fromJson(request.get("filter").toString(), table.schema()));
    Types.StructType type = schema.asStruct();
    ArrayNode rows = Json.array();
    try (CloseableIterable<Record> records = scan.build()) {
      for (Record record : records) rows.add(Values.rowJson(record, type));
    }
    ObjectNode reply = Json.object();
    reply.set("rows", rows);
    ArrayNode columns = Json.array();
    type.fields().forEach(field -> columns.add(field.name()));
    reply.set("columns", columns);
    return reply;
  }

  /**
   * inspect {identifier, snapshot_id?}: every snapshot (sequence number, operation, summary), the
   * live files of the chosen snapshot (content 0 data / 1 position deletes / 2 equality deletes,
   * with their data and file sequence numbers), and Java's scan plan for it: for each data file,
   * the delete files Java applies to it.
   */
  static JsonNode inspect(Catalog catalog, JsonNode request) throws IOException {
    Table table = catalog.loadTable(Catalogs.identifier(request));
    TableMetadata metadata = Tables.metadata(table);
    Long snapshotId = Json.optionalLong(request, "snapshot_id");
    Snapshot snapshot = snapshotId == null ? table.currentSnapshot() : snapshot(table, snapshotId);

    ObjectNode reply = Json.object();
    reply.put("metadata_location", metadata.metadataFileLocation());
    reply.put("format_version", metadata.formatVersion());
    reply.set("current_snapshot_id", Json.longText(table.currentSnapshot() == null ? null : table.currentSnapshot().snapshotId()));
    reply.set("last_sequence_number", Json.safeLong(metadata.lastSequenceNumber()));
    reply.set("schema", Json.MAPPER.readTree(SchemaParser.toJson(table.schema())));
    reply.set("partition_spec", Json.MAPPER.readTree(PartitionSpecParser.toJson(table.spec())));
    reply.set("properties", Json.MAPPER.valueToTree(new TreeMap<>(table.properties())));

    List<Snapshot> snapshots = new ArrayList<>();
    table.snapshots().forEach(snapshots::add);
    snapshots.sort(Comparator.comparingLong(Snapshot::sequenceNumber).thenComparingLong(Snapshot::timestampMillis));
    ArrayNode snapshotJson = Json.array();
    snapshots.forEach(each -> snapshotJson.add(snapshotJson(each)));
    reply.set("snapshots", snapshotJson);

    ArrayNode files = Json.array();
    ArrayNode tasks = Json.array();
    if (snapshot != null) {
      reply.set("snapshot_id", Json.longText(snapshot.snapshotId()));
      for (ManifestFile manifest : snapshot.dataManifests(table.io())) {
        try (ManifestReader<DataFile> reader = ManifestFiles.read(manifest, table.io(), table.specs())) {
          for (DataFile file : reader) files.add(fileJson(table, file));
        }
      }
      for (ManifestFile manifest : snapshot.deleteManifests(table.io())) {
        try (ManifestReader<DeleteFile> reader = ManifestFiles.readDeleteManifest(manifest, table.io(), table.specs())) {
          for (DeleteFile file : reader) files.add(fileJson(table, file));
        }
      }
      tasks = scanPlan(table, snapshot);
    } else {
      reply.putNull("snapshot_id");
    }
    List<JsonNode> sorted = new ArrayList<>();
    files.forEach(sorted::add);
    sorted.sort(Comparator.comparing((JsonNode file) -> file.get("content").asInt()).thenComparing(file -> file.get("file_path").asText()));
    reply.set("files", Json.array().addAll(sorted));
    reply.set("scan_tasks", tasks);
    return reply;
  }

  private static ArrayNode scanPlan(Table table, Snapshot snapshot) throws IOException {
    Map<String, TreeSet<String>> deletesByData = new TreeMap<>();
    TableScan scan = table.newScan().useSnapshot(snapshot.snapshotId()).ignoreResiduals();
    try (CloseableIterable<FileScanTask> tasks = scan.planFiles()) {
      for (FileScanTask task : tasks) {
        TreeSet<String> deletes = deletesByData.computeIfAbsent(task.file().location(), ignored -> new TreeSet<>());
        task.deletes().forEach(delete -> deletes.add(delete.location()));
      }
    }
    ArrayNode json = Json.array();
    deletesByData.forEach((data, deletes) -> {
      ObjectNode task = Json.object();
      task.put("data_file", data);
      ArrayNode paths = Json.array();
      deletes.forEach(paths::add);
      task.set("delete_files", paths);
      json.add(task);
    });
    return json;
  }

  private static Snapshot snapshot(Table table, long snapshotId) {
    Snapshot snapshot = table.snapshot(snapshotId);
    if (snapshot == null) throw new BadRequest("table " + table.name() + " has no snapshot " + snapshotId);
    return snapshot;
  }

  private static ObjectNode snapshotJson(Snapshot snapshot) {
    ObjectNode json = Json.object();
    json.set("snapshot_id", Json.longText(snapshot.snapshotId()));
    json.set("parent_snapshot_id", Json.longText(snapshot.parentId()));
    json.set("sequence_number", Json.safeLong(snapshot.sequenceNumber()));
    json.put("timestamp_ms", snapshot.timestampMillis());
    json.put("operation", snapshot.operation());
    json.set("schema_id", snapshot.schemaId() == null ? Json.NODES.nullNode() : Json.NODES.numberNode(snapshot.schemaId()));
    json.put("manifest_list", snapshot.manifestListLocation());
    json.set("summary", Json.MAPPER.valueToTree(new TreeMap<>(snapshot.summary())));
    return json;
  }

  /** A data or delete file: content, path, partition (internal values and Java's path), counts, sequence numbers. */
  static ObjectNode fileJson(Table table, ContentFile<?> file) {
    ObjectNode json = Json.object();
    json.put("content", file.content().id());
    json.put("file_path", file.location());
    json.put("file_format", file.format().name());
    json.put("spec_id", file.specId());
    PartitionSpec spec = table.specs().get(file.specId());
    json.set("partition", partitionJson(spec, file.partition()));
    json.put("partition_path", spec.isUnpartitioned() ? "" : spec.partitionToPath(file.partition()));
    json.put("record_count", file.recordCount());
    json.put("file_size_in_bytes", file.fileSizeInBytes());
    json.set("data_sequence_number", file.dataSequenceNumber() == null ? Json.NODES.nullNode() : Json.safeLong(file.dataSequenceNumber()));
    json.set("file_sequence_number", file.fileSequenceNumber() == null ? Json.NODES.nullNode() : Json.safeLong(file.fileSequenceNumber()));
    ArrayNode equalityIds = Json.array();
    if (file.equalityFieldIds() != null) file.equalityFieldIds().forEach(equalityIds::add);
    json.set("equality_field_ids", equalityIds);
    DeleteFile delete = file instanceof DeleteFile ? (DeleteFile) file : null;
    json.put("referenced_data_file", delete == null ? null : delete.referencedDataFile());
    // Deletion vectors (v3): where the blob sits in its Puffin file.
    json.put("content_offset", delete == null ? null : delete.contentOffset());
    json.put("content_size_in_bytes", delete == null ? null : delete.contentSizeInBytes());
    return json;
  }

  private static ObjectNode partitionJson(PartitionSpec spec, StructLike partition) {
    ObjectNode json = Json.object();
    List<Types.NestedField> fields = spec.partitionType().fields();
    for (int i = 0; i < fields.size(); i++) json.set(fields.get(i).name(), Values.internalJson(partition.get(i, Object.class)));
    return json;
  }
}
