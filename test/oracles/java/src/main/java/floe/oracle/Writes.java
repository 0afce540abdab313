package floe.oracle;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import org.apache.iceberg.AppendFiles;
import org.apache.iceberg.DataFile;
import org.apache.iceberg.DeleteFile;
import org.apache.iceberg.FileContent;
import org.apache.iceberg.FileFormat;
import org.apache.iceberg.ManifestFile;
import org.apache.iceberg.ManifestFiles;
import org.apache.iceberg.ManifestReader;
import org.apache.iceberg.PartitionField;
import org.apache.iceberg.PartitionKey;
import org.apache.iceberg.PartitionSpec;
import org.apache.iceberg.RowDelta;
import org.apache.iceberg.Schema;
import org.apache.iceberg.Snapshot;
import org.apache.iceberg.SnapshotUpdate;
import org.apache.iceberg.StructLike;
import org.apache.iceberg.Table;
import org.apache.iceberg.catalog.Catalog;
import org.apache.iceberg.data.BaseDeleteLoader;
import org.apache.iceberg.data.GenericAppenderFactory;
import org.apache.iceberg.data.InternalRecordWrapper;
import org.apache.iceberg.data.Record;
import org.apache.iceberg.deletes.BaseDVFileWriter;
import org.apache.iceberg.deletes.EqualityDeleteWriter;
import org.apache.iceberg.deletes.PositionDelete;
import org.apache.iceberg.deletes.PositionDeleteIndex;
import org.apache.iceberg.deletes.PositionDeleteWriter;
import org.apache.iceberg.encryption.EncryptedOutputFile;
import org.apache.iceberg.io.DataWriter;
import org.apache.iceberg.io.OutputFileFactory;
import org.apache.iceberg.types.Types;
import org.apache.iceberg.util.StructLikeWrapper;

/**
 * Writes through iceberg-data's generic writers (GenericAppenderFactory): data files appended with
 * AppendFiles, position and equality delete files committed with RowDelta. Rows are split by the
 * table's current partition spec, one file per partition (or per `rows_per_file` rows).
 */
final class Writes {
  private Writes() {}

  /** A data file written from the request's rows, with the indexes of those rows in file order. */
  private static final class Written {
    final DataFile file;
    final List<Integer> rowIndexes;

    Written(DataFile file, List<Integer> rowIndexes) {
      this.file = file;
      this.rowIndexes = rowIndexes;
    }
  }

  /** A row position in a data file, with the file's spec and partition (where its deletes go). */
  private static final class Position {
    final String path;
    final long position;
    final DataFile file;

    Position(String path, long position, DataFile file) {
      this.path = path;
      this.position = position;
      this.file = file;
    }
  }

  /**
   * append {identifier, rows: [{column: value}], columns?: {column: type}, file_format?,
   * rows_per_file?, snapshot_properties?}. `columns`, when given, must match the table's types.
   */
  static JsonNode append(Catalog catalog, JsonNode request) throws IOException {
    Table table = catalog.loadTable(Catalogs.identifier(request));
    List<Written> written = writeData(table, request, "append");
    AppendFiles append = table.newAppend();
    written.forEach(data -> append.appendFile(data.file));
    commit(append, request);
    ObjectNode reply = Tables.state(table);
    reply.set("data_files", writtenJson(table, written));
    return reply;
  }

  /**
   * delete_positions / delete_equality / row_delta: one RowDelta commit holding any of
   *   append: {rows, columns?, file_format?, rows_per_file?}    data files added in the same commit
   *   file_path + positions, or deletes: [{file_path, positions}]   positions in live data files
   *   appended_positions: [i, ...]    rows (indexes into append.rows) written by this same commit
   *   equality_fields: [names] + rows: [{column: value}]   an equality delete file per partition
   * A position delete in the same commit as its data file has an equal sequence number (it
   * applies); an equality delete in the same commit as a data file does not apply to it. On a
   * format v3 table position deletes are written as deletion vectors (see writeDeletionVectors).
   */
  static JsonNode rowDelta(Catalog catalog, JsonNode request, String command) throws IOException {
    boolean wantsPositions = Json.has(request, "file_path") || Json.has(request, "deletes") || Json.has(request, "appended_positions");
    boolean wantsEquality = Json.has(request, "equality_fields");
    if (command.equals("delete_positions") && !wantsPositions) {
      throw new BadRequest("delete_positions needs 'file_path' + 'positions', 'deletes': [{file_path, positions}] or 'appended_positions'");
    }
    if (command.equals("delete_equality") && !wantsEquality) throw new BadRequest("delete_equality needs 'equality_fields' and 'rows'");
    Table table = catalog.loadTable(Catalogs.identifier(request));
    Snapshot start = table.currentSnapshot();
    FileFormat format = fileFormat(request);

    List<Written> appended = Json.has(request, "append") ? writeData(table, Json.requiredObject(request, "append"), "append") : List.of();
    List<Position> positions = wantsPositions ? positions(table, request, appended) : List.of();
    List<DeleteFile> deletes = new ArrayList<>();
    List<DeleteFile> replaced = new ArrayList<>();
    if (Tables.metadata(table).formatVersion() >= 3) {
      writeDeletionVectors(table, positions, deletes, replaced);
    } else {
      deletes.addAll(writePositionDeletes(table, positions, format));
    }
    if (wantsEquality) deletes.addAll(writeEqualityDeletes(table, request, format));

    RowDelta delta = table.newRowDelta();
    if (start != null) delta.validateFromSnapshot(start.snapshotId());
    appended.forEach(data -> delta.addRows(data.file));
    deletes.forEach(delta::addDeletes);
    replaced.forEach(delta::removeDeletes);
    Set<String> existing = new LinkedHashSet<>();
    Set<String> appendedPaths = new LinkedHashSet<>();
    appended.forEach(data -> appendedPaths.add(data.file.location()));
    positions.forEach(position -> {
      if (!appendedPaths.contains(position.path)) existing.add(position.path);
    });
    if (!existing.isEmpty()) delta.validateDataFilesExist(existing);
    commit(delta, request);

    ObjectNode reply = Tables.state(table);
    reply.set("data_files", writtenJson(table, appended));
    ArrayNode deleteJson = Json.array();
    deletes.forEach(file -> deleteJson.add(Inspect.fileJson(table, file)));
    reply.set("delete_files", deleteJson);
    ArrayNode replacedJson = Json.array();
    replaced.forEach(file -> replacedJson.add(Inspect.fileJson(table, file)));
    reply.set("removed_delete_files", replacedJson);
    return reply;
  }

  private static void commit(SnapshotUpdate<?> update, JsonNode request) {
    Json.stringMap(request, "snapshot_properties").forEach(update::set);
    update.commit();
  }

  private static FileFormat fileFormat(JsonNode request) {
    String name = Json.has(request, "file_format") ? Json.text(request, "file_format") : "parquet";
    switch (name.toLowerCase(Locale.ROOT)) {
      case "parquet":
        return FileFormat.PARQUET;
      case "avro":
        return FileFormat.AVRO;
      default:
        throw new BadRequest("'file_format' must be 'parquet' or 'avro', got '" + name + "'");
    }
  }

  // ------------------------------------------------------------------ data files

  private static List<Written> writeData(Table table, JsonNode request, String what) throws IOException {
    Schema schema = table.schema();
    PartitionSpec spec = table.spec();
    checkDeclaredColumns(table, request);
    ArrayNode rows = Json.requiredArray(request, "rows");
    int rowsPerFile = Json.has(request, "rows_per_file") ? request.get("rows_per_file").asInt() : Integer.MAX_VALUE;
    if (rowsPerFile <= 0) throw new BadRequest("'rows_per_file' must be a positive integer");
    FileFormat format = fileFormat(request);

    List<Record> records = new ArrayList<>();
    Map<PartitionKey, List<Integer>> byPartition = new LinkedHashMap<>();
    PartitionKey key = new PartitionKey(spec, schema);
    InternalRecordWrapper wrapper = new InternalRecordWrapper(schema.asStruct());
    for (int i = 0; i < rows.size(); i++) {
      Record record = Values.record(schema, rows.get(i), what + ".rows[" + i + "]");
      records.add(record);
      key.partition(wrapper.wrap(record));
      byPartition.computeIfAbsent(key.copy(), ignored -> new ArrayList<>()).add(i);
    }

    GenericAppenderFactory factory = new GenericAppenderFactory(table, schema, spec, Map.of(), null, null, null);
    OutputFileFactory files = outputFiles(table, format);
    List<Written> written = new ArrayList<>();
    for (Map.Entry<PartitionKey, List<Integer>> group : byPartition.entrySet()) {
      List<Integer> indexes = group.getValue();
      for (int from = 0; from < indexes.size(); from += rowsPerFile) {
        List<Integer> chunk = indexes.subList(from, Math.min(indexes.size(), from + rowsPerFile));
        StructLike partition = spec.isUnpartitioned() ? null : group.getKey();
        DataWriter<Record> writer = factory.newDataWriter(newOutputFile(files, spec, partition), format, partition);
        try {
          for (int index : chunk) writer.write(records.get(index));
        } finally {
          writer.close();
        }
        written.add(new Written(writer.toDataFile(), new ArrayList<>(chunk)));
      }
    }
    return written;
  }

  /** `columns: {name: type}` restates the schema the rows were written for; a mismatch is an error. */
  private static void checkDeclaredColumns(Table table, JsonNode request) {
    if (!Json.has(request, "columns")) return;
    Json.requiredObject(request, "columns").fields().forEachRemaining(entry -> {
      Types.NestedField field = table.schema().findField(entry.getKey());
      if (field == null) throw new BadRequest("'columns' names '" + entry.getKey() + "', which table " + table.name() + " does not have");
      String declared = entry.getValue().isTextual() ? entry.getValue().asText() : entry.getValue().toString();
      String actual = field.type().isPrimitiveType() ? field.type().toString() : null;
      if (actual != null && !declared.replace(" ", "").equals(actual.replace(" ", ""))) {
        throw new BadRequest("'columns' declares '" + entry.getKey() + "' as " + declared + " but table " + table.name() + " has it as " + actual);
      }
    });
  }

  private static OutputFileFactory outputFiles(Table table, FileFormat format) {
    return OutputFileFactory.builderFor(table, 1, System.nanoTime() & Long.MAX_VALUE).format(format).build();
  }

  private static EncryptedOutputFile newOutputFile(OutputFileFactory files, PartitionSpec spec, StructLike partition) {
    return partition == null ? files.newOutputFile() : files.newOutputFile(spec, partition);
  }

  private static ArrayNode writtenJson(Table table, List<Written> written) {
    ArrayNode files = Json.array();
    for (Written data : written) {
      ObjectNode file = Inspect.fileJson(table, data.file);
      ArrayNode rows = Json.array();
      data.rowIndexes.forEach(rows::add);
      file.set("rows", rows);
      files.add(file);
    }
    return files;
  }

  // ------------------------------------------------------------------ position deletes

  private static List<Position> positions(Table table, JsonNode request, List<Written> appended) throws IOException {
    Map<String, DataFile> live = liveDataFiles(table);
    List<Position> positions = new ArrayList<>();
    List<JsonNode> groups = new ArrayList<>();
    if (Json.has(request, "file_path")) groups.add(request);
    if (Json.has(request, "deletes")) Json.requiredArray(request, "deletes").forEach(groups::add);
    for (JsonNode group : groups) {
      String path = Json.text(group, "file_path");
      DataFile file = live.get(path);
      if (file == null) throw new BadRequest("file_path " + path + " is not a live data file of table " + table.name() + " (live: " + String.join(", ", live.keySet()) + ")");
      for (JsonNode position : Json.requiredArray(group, "positions")) {
        long pos = Json.longValue(position, "positions of " + path);
        if (pos < 0 || pos >= file.recordCount()) throw new BadRequest("position " + pos + " is outside " + path + ", which has " + file.recordCount() + " rows");
        positions.add(new Position(path, pos, file));
      }
    }
    if (Json.has(request, "appended_positions")) {
      Map<Integer, Position> byRow = new HashMap<>();
      for (Written data : appended) {
        for (int pos = 0; pos < data.rowIndexes.size(); pos++) byRow.put(data.rowIndexes.get(pos), new Position(data.file.location(), pos, data.file));
      }
      for (JsonNode index : Json.requiredArray(request, "appended_positions")) {
        Position position = byRow.get(index.asInt(-1));
        if (position == null) throw new BadRequest("appended_positions: " + index + " is not an index into append.rows");
        positions.add(position);
      }
    }
    return positions;
  }

  private static Map<String, DataFile> liveDataFiles(Table table) throws IOException {
    Map<String, DataFile> files = new LinkedHashMap<>();
    Snapshot current = table.currentSnapshot();
    if (current == null) return files;
    for (ManifestFile manifest : current.dataManifests(table.io())) {
      try (ManifestReader<DataFile> reader = ManifestFiles.read(manifest, table.io(), table.specs())) {
        for (DataFile file : reader) files.put(file.location(), file.copyWithoutStats());
      }
    }
    return files;
  }

  /** One position delete file per (spec, partition) of the data files, rows sorted by path then position. */
  private static List<DeleteFile> writePositionDeletes(Table table, List<Position> positions, FileFormat format) throws IOException {
    Map<Integer, Map<StructLikeWrapper, List<Position>>> groups = new LinkedHashMap<>();
    for (Position position : positions) {
      PartitionSpec spec = table.specs().get(position.file.specId());
      groups.computeIfAbsent(spec.specId(), ignored -> new LinkedHashMap<>())
          .computeIfAbsent(StructLikeWrapper.forType(spec.partitionType()).set(position.file.partition()), ignored -> new ArrayList<>())
          .add(position);
    }
    OutputFileFactory files = outputFiles(table, format);
    List<DeleteFile> deletes = new ArrayList<>();
    for (Map.Entry<Integer, Map<StructLikeWrapper, List<Position>>> bySpec : groups.entrySet()) {
      PartitionSpec spec = table.specs().get(bySpec.getKey());
      GenericAppenderFactory factory = new GenericAppenderFactory(table, table.schema(), spec, Map.of(), null, null, null);
      for (List<Position> group : bySpec.getValue().values()) {
        group.sort(Comparator.comparing((Position p) -> p.path).thenComparingLong(p -> p.position));
        StructLike partition = spec.isUnpartitioned() ? null : group.get(0).file.partition();
        PositionDeleteWriter<Record> writer = factory.newPosDeleteWriter(newOutputFile(files, spec, partition), format, partition);
        PositionDelete<Record> delete = PositionDelete.create();
        try {
          for (Position position : group) writer.write(delete.set(position.path, position.position));
        } finally {
          writer.close();
        }
        deletes.add(writer.toDeleteFile());
      }
    }
    return deletes;
  }

  /**
   * Format v3 takes position deletes as deletion vectors (Puffin blobs, one per data file). A data
   * file that already has one gets a new vector holding the old positions too, and the commit
   * removes the old one, as Java's own writers do. On a table upgraded from v2, a data file's
   * first vector also takes the positions of the position delete files that name it (removing
   * those that name only it), as the spec asks of a vector that replaces them.
   */
  private static void writeDeletionVectors(Table table, List<Position> positions, List<DeleteFile> added, List<DeleteFile> replaced) throws IOException {
    if (positions.isEmpty()) return;
    Map<String, DeleteFile> existing = new HashMap<>();
    List<DeleteFile> positionFiles = new ArrayList<>();
    Snapshot current = table.currentSnapshot();
    if (current != null) {
      for (ManifestFile manifest : current.deleteManifests(table.io())) {
        try (ManifestReader<DeleteFile> reader = ManifestFiles.readDeleteManifest(manifest, table.io(), table.specs())) {
          for (DeleteFile file : reader) {
            if (file.format() == FileFormat.PUFFIN && file.referencedDataFile() != null) existing.put(file.referencedDataFile(), file.copy());
            else if (file.content() == FileContent.POSITION_DELETES) positionFiles.add(file.copy());
          }
        }
      }
    }
    BaseDeleteLoader loader = new BaseDeleteLoader(file -> table.io().newInputFile(file.location()));
    Function<String, PositionDeleteIndex> previous = path -> {
      DeleteFile old = existing.get(path);
      if (old != null) return loader.loadPositionDeletes(List.of(old), path);
      List<DeleteFile> naming = new ArrayList<>();
      for (DeleteFile file : positionFiles) {
        if (file.referencedDataFile() == null || file.referencedDataFile().equals(path)) naming.add(file);
      }
      return naming.isEmpty() ? null : loader.loadPositionDeletes(naming, path);
    };
    BaseDVFileWriter writer = new BaseDVFileWriter(outputFiles(table, FileFormat.PUFFIN), previous);
    try {
      for (Position position : positions) {
        writer.delete(position.path, position.position, table.specs().get(position.file.specId()), position.file.partition());
      }
    } finally {
      writer.close();
    }
    added.addAll(writer.result().deleteFiles());
    replaced.addAll(writer.result().rewrittenDeleteFiles());
  }

  // ------------------------------------------------------------------ equality deletes

  /**
   * Equality delete rows hold the equality fields and, on a partitioned table, the partition's
   * source columns (so each delete file lands in the partition of the rows it deletes); any
   * other column the rows give is kept in the delete file too.
   */
  private static List<DeleteFile> writeEqualityDeletes(Table table, JsonNode request, FileFormat format) throws IOException {
    Schema schema = table.schema();
    PartitionSpec spec = table.spec();
    List<String> fields = Json.stringList(request, "equality_fields");
    if (fields.isEmpty()) throw new BadRequest("'equality_fields' must name at least one column");
    ArrayNode rows = Json.requiredArray(request, "rows");
    Set<String> columns = new LinkedHashSet<>(fields);
    rows.forEach(row -> row.fieldNames().forEachRemaining(columns::add));
    int[] equalityIds = new int[fields.size()];
    for (int i = 0; i < fields.size(); i++) {
      Types.NestedField field = schema.findField(fields.get(i));
      if (field == null) throw new BadRequest("equality field '" + fields.get(i) + "' is not a column of table " + table.name());
      equalityIds[i] = field.fieldId();
    }
    for (String column : columns) {
      if (schema.findField(column) == null) throw new BadRequest("equality delete rows name '" + column + "', which table " + table.name() + " does not have");
    }
    Schema deleteSchema = schema.select(columns);
    for (PartitionField partitionField : spec.fields()) {
      if (deleteSchema.findField(partitionField.sourceId()) == null) {
        String source = schema.findColumnName(partitionField.sourceId());
        throw new BadRequest("table " + table.name() + " is partitioned by " + partitionField.name() + " (from column '" + source
            + "'): each equality delete row must give '" + source + "' so the delete file lands in that partition");
      }
    }

    Map<PartitionKey, List<Record>> byPartition = new LinkedHashMap<>();
    PartitionKey key = new PartitionKey(spec, deleteSchema);
    InternalRecordWrapper wrapper = new InternalRecordWrapper(deleteSchema.asStruct());
    for (int i = 0; i < rows.size(); i++) {
      Record record = Values.record(deleteSchema, rows.get(i), "rows[" + i + "]");
      key.partition(wrapper.wrap(record));
      byPartition.computeIfAbsent(key.copy(), ignored -> new ArrayList<>()).add(record);
    }

    GenericAppenderFactory factory = new GenericAppenderFactory(table, schema, spec, Map.of(), equalityIds, deleteSchema, null);
    OutputFileFactory files = outputFiles(table, format);
    List<DeleteFile> deletes = new ArrayList<>();
    for (Map.Entry<PartitionKey, List<Record>> group : byPartition.entrySet()) {
      StructLike partition = spec.isUnpartitioned() ? null : group.getKey();
      EqualityDeleteWriter<Record> writer = factory.newEqDeleteWriter(newOutputFile(files, spec, partition), format, partition);
      try {
        for (Record record : group.getValue()) writer.write(record);
      } finally {
        writer.close();
      }
      deletes.add(writer.toDeleteFile());
    }
    return deletes;
  }
}
