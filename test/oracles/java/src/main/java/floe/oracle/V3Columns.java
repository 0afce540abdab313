package floe.oracle;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.iceberg.DataFile;
import org.apache.iceberg.FileFormat;
import org.apache.iceberg.FileScanTask;
import org.apache.iceberg.MetadataColumns;
import org.apache.iceberg.OverwriteFiles;
import org.apache.iceberg.Schema;
import org.apache.iceberg.SingleValueParser;
import org.apache.iceberg.Snapshot;
import org.apache.iceberg.Table;
import org.apache.iceberg.catalog.Catalog;
import org.apache.iceberg.data.GenericAppenderFactory;
import org.apache.iceberg.data.IcebergGenerics;
import org.apache.iceberg.data.Record;
import org.apache.iceberg.expressions.Expressions;
import org.apache.iceberg.expressions.Literal;
import org.apache.iceberg.io.CloseableIterable;
import org.apache.iceberg.io.DataWriter;
import org.apache.iceberg.io.OutputFileFactory;
import org.apache.iceberg.types.Type;
import org.apache.iceberg.types.Types;

/**
 * Format v3 columns: defaults of added columns, and row lineage (the _row_id and
 * _last_updated_sequence_number metadata columns) written through a rewrite and read back by Java's
 * own generic reader.
 */
final class V3Columns {
  private V3Columns() {}

  /**
   * add_column_with_default {identifier, name, type, initial_default, write_default?}: defaults in
   * the spec's JSON single-value form. Java's addColumn with a default sets both initial-default and
   * write-default; updateColumnDefault then changes the write default alone.
   */
  static JsonNode addColumnWithDefault(Catalog catalog, JsonNode request) {
    Table table = catalog.loadTable(Catalogs.identifier(request));
    String name = Json.text(request, "name");
    Type type = Tables.typeFromJson(request.get("type"));
    table.updateSchema().addColumn(name, type, literal(type, request, "initial_default")).commit();
    if (Json.has(request, "write_default")) {
      table.updateSchema().updateColumnDefault(name, literal(type, request, "write_default")).commit();
    }
    return Tables.state(table);
  }

  private static Literal<?> literal(Type type, JsonNode request, String field) {
    if (!Json.has(request, field)) throw new BadRequest("'" + field + "' is required: a value of " + type + " in the spec's JSON form");
    return Expressions.lit(SingleValueParser.fromJson(type, request.get(field))).to(type);
  }

  /**
   * rewrite_with_lineage {identifier, remove: [file_path], rows: [{column: value, _row_id?,
   * _last_updated_sequence_number?}]}: one overwrite commit that replaces the live data files
   * `remove` of an unpartitioned table with one Parquet file storing the row lineage columns, as an
   * engine's update does: a copied row keeps both values, an updated row keeps its _row_id with a
   * null _last_updated_sequence_number, a new row has neither (both inherited on read).
   */
  static JsonNode rewriteWithLineage(Catalog catalog, JsonNode request) throws IOException {
    Table table = catalog.loadTable(Catalogs.identifier(request));
    if (!table.spec().isUnpartitioned()) throw new BadRequest("rewrite_with_lineage writes unpartitioned tables only");
    Schema schema = withLineage(table.schema());
    ArrayNode rows = Json.requiredArray(request, "rows");
    GenericAppenderFactory factory = new GenericAppenderFactory(table, schema, table.spec(), Map.of(), null, null, null);
    OutputFileFactory files = OutputFileFactory.builderFor(table, 1, System.nanoTime()).format(FileFormat.PARQUET).build();
    DataWriter<Record> writer = factory.newDataWriter(files.newOutputFile(), FileFormat.PARQUET, null);
    try {
      for (int i = 0; i < rows.size(); i++) writer.write(Values.record(schema, rows.get(i), "rewrite_with_lineage.rows[" + i + "]"));
    } finally {
      writer.close();
    }
    DataFile added = writer.toDataFile();

    Map<String, DataFile> live = new HashMap<>();
    try (CloseableIterable<FileScanTask> tasks = table.newScan().planFiles()) {
      for (FileScanTask task : tasks) live.put(task.file().location(), task.file());
    }
    OverwriteFiles overwrite = table.newOverwrite();
    for (String path : Json.stringList(request, "remove")) {
      DataFile removed = live.get(path);
      if (removed == null) throw new BadRequest("rewrite_with_lineage: " + path + " is not a live data file of " + table.name());
      overwrite.deleteFile(removed);
    }
    overwrite.addFile(added).commit();
    ObjectNode reply = Tables.state(table);
    reply.set("data_files", Json.array().add(Inspect.fileJson(table, added)));
    return reply;
  }

  /**
   * read_with_lineage {identifier, snapshot_id?}: every column of the snapshot's schema, then
   * _row_id and _last_updated_sequence_number, through IcebergGenerics (deletes applied).
   */
  static JsonNode readWithLineage(Catalog catalog, JsonNode request) throws IOException {
    Table table = catalog.loadTable(Catalogs.identifier(request));
    Long snapshotId = Json.optionalLong(request, "snapshot_id");
    Schema schema = table.schema();
    IcebergGenerics.ScanBuilder scan = IcebergGenerics.read(table);
    if (snapshotId != null) {
      Snapshot snapshot = table.snapshot(snapshotId);
      if (snapshot == null) throw new BadRequest("table " + table.name() + " has no snapshot " + snapshotId);
      scan = scan.useSnapshot(snapshotId);
      if (snapshot.schemaId() != null) schema = table.schemas().get(snapshot.schemaId());
    }
    Schema projected = withLineage(schema);
    Types.StructType type = projected.asStruct();
    ArrayNode rows = Json.array();
    try (CloseableIterable<Record> records = scan.project(projected).build()) {
      for (Record record : records) rows.add(Values.rowJson(record, type));
    }
    ObjectNode reply = Json.object();
    reply.set("rows", rows);
    ArrayNode columns = Json.array();
    type.fields().forEach(field -> columns.add(field.name()));
    reply.set("columns", columns);
    return reply;
  }

  private static Schema withLineage(Schema schema) {
    List<Types.NestedField> fields = new ArrayList<>(schema.columns());
    fields.add(MetadataColumns.ROW_ID);
    fields.add(MetadataColumns.LAST_UPDATED_SEQUENCE_NUMBER);
    return new Schema(fields);
  }
}
