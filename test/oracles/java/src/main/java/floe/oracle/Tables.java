package floe.oracle;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import org.apache.iceberg.HasTableOperations;
import org.apache.iceberg.PartitionSpec;
import org.apache.iceberg.PartitionSpecParser;
import org.apache.iceberg.Schema;
import org.apache.iceberg.SchemaParser;
import org.apache.iceberg.Snapshot;
import org.apache.iceberg.SortOrderParser;
import org.apache.iceberg.Table;
import org.apache.iceberg.TableMetadata;
import org.apache.iceberg.catalog.Catalog;
import org.apache.iceberg.catalog.TableIdentifier;
import org.apache.iceberg.types.Type;
import org.apache.iceberg.types.Types;

/** Table lifecycle: create, schema evolution, and the metadata file as written. */
final class Tables {
  private Tables() {}

  /**
   * create_table {identifier, schema (Iceberg JSON), partition_spec? (Iceberg JSON, source ids of
   * that schema), sort_order?, properties?, format_version?, location?}.
   */
  static JsonNode create(Catalog catalog, JsonNode request) {
    TableIdentifier identifier = Catalogs.identifier(request);
    Schema schema = SchemaParser.fromJson(Json.requiredObject(request, "schema"));
    Map<String, String> properties = Json.stringMap(request, "properties");
    if (Json.has(request, "format_version")) properties.put("format-version", request.get("format_version").asText());
    Catalog.TableBuilder builder = catalog.buildTable(identifier, schema).withProperties(properties);
    if (Json.has(request, "partition_spec")) {
      PartitionSpec spec = PartitionSpecParser.fromJson(schema, Json.requiredObject(request, "partition_spec"));
      builder = builder.withPartitionSpec(spec);
    }
    if (Json.has(request, "sort_order")) {
      builder = builder.withSortOrder(SortOrderParser.fromJson(schema, Json.requiredObject(request, "sort_order")));
    }
    if (Json.has(request, "location")) builder = builder.withLocation(Json.text(request, "location"));
    Catalogs.ensureNamespace(catalog, identifier.namespace());
    return state(builder.create());
  }

  /** add_column {identifier, name, type (Iceberg JSON: "long", {"type": "struct", ...}), doc?, required?}. */
  static JsonNode addColumn(Catalog catalog, JsonNode request) {
    Table table = catalog.loadTable(Catalogs.identifier(request));
    String name = Json.text(request, "name");
    Type type = typeFromJson(request.get("type"));
    String doc = Json.optionalText(request, "doc");
    if (request.path("required").asBoolean(false)) {
      table.updateSchema().allowIncompatibleChanges().addRequiredColumn(name, type, doc).commit();
    } else {
      table.updateSchema().addColumn(name, type, doc).commit();
    }
    return state(table);
  }

  /** rename_column {identifier, from, to}. */
  static JsonNode renameColumn(Catalog catalog, JsonNode request) {
    Table table = catalog.loadTable(Catalogs.identifier(request));
    table.updateSchema().renameColumn(Json.text(request, "from"), Json.text(request, "to")).commit();
    return state(table);
  }

  /** drop_column {identifier, name}. */
  static JsonNode dropColumn(Catalog catalog, JsonNode request) {
    Table table = catalog.loadTable(Catalogs.identifier(request));
    table.updateSchema().deleteColumn(Json.text(request, "name")).commit();
    return state(table);
  }

  /** set_properties {identifier, properties}. */
  static JsonNode setProperties(Catalog catalog, JsonNode request) {
    Table table = catalog.loadTable(Catalogs.identifier(request));
    org.apache.iceberg.UpdateProperties update = table.updateProperties();
    Json.stringMap(request, "properties").forEach(update::set);
    update.commit();
    return state(table);
  }

  /** load_metadata {identifier}: the current metadata file's exact text and a parsed copy. */
  static JsonNode loadMetadata(Catalog catalog, JsonNode request) throws IOException {
    Table table = catalog.loadTable(Catalogs.identifier(request));
    String location = metadata(table).metadataFileLocation();
    String text;
    try (InputStream stream = table.io().newInputFile(location).newStream()) {
      text = new String(stream.readAllBytes(), StandardCharsets.UTF_8);
    }
    ObjectNode reply = Json.object();
    reply.put("metadata_location", location);
    reply.put("metadata_json", text);
    reply.set("metadata", Json.withSafeIntegers(Json.MAPPER.readTree(text)));
    return reply;
  }

  /** What every write replies: where the metadata now is, and the current snapshot. */
  static ObjectNode state(Table table) {
    TableMetadata metadata = metadata(table);
    Snapshot current = metadata.currentSnapshot();
    ObjectNode reply = Json.object();
    reply.put("metadata_location", metadata.metadataFileLocation());
    reply.set("snapshot_id", Json.longText(current == null ? null : current.snapshotId()));
    reply.set("sequence_number", current == null ? Json.NODES.nullNode() : Json.safeLong(current.sequenceNumber()));
    return reply;
  }

  static TableMetadata metadata(Table table) {
    if (!(table instanceof HasTableOperations)) throw new IllegalStateException(table.name() + " exposes no table operations");
    return ((HasTableOperations) table).operations().current();
  }

  /** Iceberg's JSON for a type, parsed the one public way: as the type of a one-column schema. */
  static Type typeFromJson(JsonNode type) {
    if (type == null || type.isNull()) throw new BadRequest("'type' is required: an Iceberg type such as \"long\" or {\"type\": \"struct\", ...}");
    ObjectNode field = Json.object();
    field.put("id", 1);
    field.put("name", "x");
    field.put("required", false);
    field.set("type", type);
    ObjectNode schema = Json.object();
    schema.put("type", "struct");
    schema.set("fields", Json.array().add(field));
    Types.NestedField parsed = SchemaParser.fromJson(schema).findField(1);
    return parsed.type();
  }
}
