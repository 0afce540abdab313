package floe.oracle;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.Closeable;
import java.io.IOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.RawLocalFileSystem;
import org.apache.iceberg.CatalogProperties;
import org.apache.iceberg.catalog.Catalog;
import org.apache.iceberg.catalog.Namespace;
import org.apache.iceberg.catalog.SupportsNamespaces;
import org.apache.iceberg.catalog.TableIdentifier;
import org.apache.iceberg.jdbc.JdbcCatalog;
import org.apache.iceberg.rest.RESTCatalog;

/**
 * The request's catalog: {type:'sql', uri:'jdbc:sqlite:/abs/catalog.db', warehouse, name?, s3?} opens
 * Iceberg's JdbcCatalog with the V1 schema (the `iceberg_tables` / `iceberg_namespace_properties`
 * tables pyiceberg's SqlCatalog and Floe's SQL catalog share), {type:'rest', uri, warehouse?, s3}
 * opens RESTCatalog. Rows in a SQL catalog are keyed by catalog name: the default, `floe_oracle`,
 * is the name the pyiceberg oracle uses, so both see the same tables.
 */
final class Catalogs {
  static final String DEFAULT_NAME = "floe_oracle";

  private Catalogs() {}

  static Catalog open(JsonNode spec) {
    if (spec == null || !spec.isObject()) throw new BadRequest("'catalog' must be an object {type: 'sql' | 'rest', uri, ...}, got " + Json.describe(spec));
    String type = Json.text(spec, "type");
    String name = Json.has(spec, "name") ? Json.text(spec, "name") : DEFAULT_NAME;
    Map<String, String> properties = new HashMap<>();
    properties.put(CatalogProperties.URI, Json.text(spec, "uri"));
    if (Json.has(spec, "warehouse")) properties.put(CatalogProperties.WAREHOUSE_LOCATION, Json.text(spec, "warehouse"));
    if (Json.has(spec, "s3")) properties.putAll(s3Properties(Json.requiredObject(spec, "s3")));
    switch (type) {
      case "sql":
        if (!properties.get(CatalogProperties.URI).startsWith("jdbc:")) {
          throw new BadRequest("catalog.uri of a 'sql' catalog must be a JDBC URL such as jdbc:sqlite:/abs/catalog.db, got " + properties.get(CatalogProperties.URI));
        }
        if (!properties.containsKey(CatalogProperties.WAREHOUSE_LOCATION)) throw new BadRequest("catalog.warehouse is required for a 'sql' catalog");
        properties.put("jdbc.schema-version", "V1");
        JdbcCatalog jdbc = new JdbcCatalog();
        jdbc.setConf(hadoopConf());
        jdbc.initialize(name, properties);
        return jdbc;
      case "rest":
        RESTCatalog rest = new RESTCatalog();
        rest.setConf(hadoopConf());
        rest.initialize(name, properties);
        return rest;
      default:
        throw new BadRequest("catalog.type must be 'sql' or 'rest', got '" + type + "'");
    }
  }

  /** S3FileIO on a path-style endpoint (MinIO), with explicit test credentials. */
  private static Map<String, String> s3Properties(JsonNode s3) {
    Map<String, String> properties = new HashMap<>();
    properties.put(CatalogProperties.FILE_IO_IMPL, "org.apache.iceberg.aws.s3.S3FileIO");
    properties.put("s3.endpoint", Json.text(s3, "endpoint"));
    properties.put("s3.path-style-access", "true");
    properties.put("s3.access-key-id", Json.text(s3, "accessKeyId"));
    properties.put("s3.secret-access-key", Json.text(s3, "secretAccessKey"));
    properties.put("client.region", Json.has(s3, "region") ? Json.text(s3, "region") : "us-east-1");
    return properties;
  }

  /** Local files through Hadoop's raw file system: no `.crc` side files in the warehouse. */
  private static Configuration hadoopConf() {
    Configuration conf = new Configuration();
    conf.set("fs.file.impl", RawLocalFileSystem.class.getName());
    conf.setBoolean("fs.file.impl.disable.cache", true);
    return conf;
  }

  static void close(Catalog catalog) throws IOException {
    if (catalog instanceof Closeable) ((Closeable) catalog).close();
  }

  /** 'ns.table' or ['ns', 'table'] (more levels make a nested namespace). */
  static TableIdentifier identifier(JsonNode request) {
    JsonNode value = request.get("identifier");
    List<String> parts = new ArrayList<>();
    if (value != null && value.isTextual()) {
      parts.addAll(List.of(value.asText().split("\\.", -1)));
    } else if (value != null && value.isArray()) {
      value.forEach(part -> parts.add(part.asText()));
    }
    if (parts.size() < 2 || parts.stream().anyMatch(String::isEmpty)) {
      throw new BadRequest("'identifier' must be 'ns.table' or ['ns', 'table'], got " + Json.describe(value));
    }
    return TableIdentifier.of(parts.toArray(new String[0]));
  }

  static void ensureNamespace(Catalog catalog, Namespace namespace) {
    if (!(catalog instanceof SupportsNamespaces)) return;
    SupportsNamespaces namespaces = (SupportsNamespaces) catalog;
    if (!namespaces.namespaceExists(namespace)) namespaces.createNamespace(namespace);
  }
}
