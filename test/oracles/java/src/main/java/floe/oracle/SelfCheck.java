package floe.oracle;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * `JavaOracle --self-check DIR`: a merge-on-read round trip on a SQLite catalog in DIR (create a
 * bucketed table, append, delete by position and by equality, read) that fails unless Java reads
 * exactly the rows left. The install step runs it once: it proves the classpath works before any
 * test relies on it, and it is the run whose loaded classes go into the JVM's class-data archive.
 */
final class SelfCheck {
  private SelfCheck() {}

  static void run(Path dir, Dispatcher dispatcher) throws Exception {
    ObjectNode catalog = Json.object();
    catalog.put("type", "sql");
    catalog.put("uri", "jdbc:sqlite:" + dir.resolve("catalog.db").toAbsolutePath());
    catalog.put("warehouse", dir.resolve("warehouse").toAbsolutePath().toUri().toString());

    call(dispatcher, catalog, "{\"command\": \"create_table\", \"identifier\": \"check.events\","
        + " \"schema\": {\"type\": \"struct\", \"schema-id\": 0, \"fields\": ["
        + "{\"id\": 1, \"name\": \"id\", \"required\": true, \"type\": \"long\"},"
        + "{\"id\": 2, \"name\": \"at\", \"required\": false, \"type\": \"timestamptz\"},"
        + "{\"id\": 3, \"name\": \"score\", \"required\": false, \"type\": \"decimal(9, 2)\"}]},"
        + " \"partition_spec\": {\"spec-id\": 0, \"fields\": [{\"name\": \"id_bucket\", \"transform\": \"bucket[2]\", \"source-id\": 1, \"field-id\": 1000}]},"
        + " \"properties\": {\"format-version\": \"2\", \"write.delete.mode\": \"merge-on-read\"}}");
    JsonNode appended = call(dispatcher, catalog, "{\"command\": \"append\", \"identifier\": \"check.events\", \"rows\": ["
        + "{\"id\": 1, \"at\": \"2024-01-01T00:00:00Z\", \"score\": \"1.50\"}, {\"id\": 2}, {\"id\": 3}, {\"id\": 4}, {\"id\": 5}]}");
    JsonNode first = appended.get("data_files").get(0);
    call(dispatcher, catalog, "{\"command\": \"delete_positions\", \"identifier\": \"check.events\", \"file_path\": "
        + Json.MAPPER.writeValueAsString(first.get("file_path").asText()) + ", \"positions\": [0]}");
    call(dispatcher, catalog, "{\"command\": \"delete_equality\", \"identifier\": \"check.events\", \"equality_fields\": [\"id\"], \"rows\": [{\"id\": 5}]}");
    JsonNode read = call(dispatcher, catalog, "{\"command\": \"read\", \"identifier\": \"check.events\"}");
    call(dispatcher, catalog, "{\"command\": \"inspect\", \"identifier\": \"check.events\"}");

    List<Long> expected = new ArrayList<>(List.of(1L, 2L, 3L, 4L, 5L));
    expected.remove(Long.valueOf(first.get("rows").get(0).asLong() + 1));
    expected.remove(Long.valueOf(5L));
    List<Long> ids = new ArrayList<>();
    read.get("rows").forEach(row -> ids.add(Long.parseLong(row.get("id").asText())));
    ids.sort(null);
    if (!ids.equals(expected)) throw new IllegalStateException("self-check read ids " + ids + ", expected " + expected);
    System.err.println("self-check passed: Java read ids " + ids + " after a position and an equality delete");
  }

  @FunctionalInterface
  interface Dispatcher {
    JsonNode handle(JsonNode request) throws Exception;
  }

  private static JsonNode call(Dispatcher dispatcher, ObjectNode catalog, String json) throws Exception {
    ObjectNode request = (ObjectNode) Json.MAPPER.readTree(json);
    request.set("catalog", catalog);
    return dispatcher.handle(request);
  }
}
