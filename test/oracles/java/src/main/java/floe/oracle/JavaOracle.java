package floe.oracle;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import org.apache.iceberg.catalog.Catalog;

/**
 * Java Iceberg (1.10) as an independent oracle for Floe's tests: the reference implementation
 * writes and reads the tables Floe must agree with.
 *
 * <pre>
 *   java -cp CP floe.oracle.JavaOracle            one JSON request on stdin, one JSON reply on stdout;
 *                                                 on failure a message + stack trace on stderr, exit 1
 *   java -cp CP floe.oracle.JavaOracle --serve    one request per stdin line, one reply per stdout line:
 *                                                 {"ok": true, "reply": ...} or {"ok": false, "error": ...}
 *   java -cp CP floe.oracle.JavaOracle --self-check DIR   a round trip in DIR (see SelfCheck)
 * </pre>
 *
 * A request is {"command": ..., "catalog": {...}, ...arguments}; see Catalogs for the catalog and
 * the command's method for its arguments. Values follow test/oracles/pyiceberg_tool.py: 64-bit ids
 * and long columns as strings, timestamps ISO-8601 UTC with µs, binary as base64 (see Values).
 */
public final class JavaOracle {
  @FunctionalInterface
  private interface Command {
    JsonNode run(Catalog catalog, JsonNode request) throws Exception;
  }

  private static final Map<String, Command> COMMANDS = new LinkedHashMap<>();

  static {
    COMMANDS.put("create_table", Tables::create);
    COMMANDS.put("add_column", Tables::addColumn);
    COMMANDS.put("rename_column", Tables::renameColumn);
    COMMANDS.put("drop_column", Tables::dropColumn);
    COMMANDS.put("set_properties", Tables::setProperties);
    COMMANDS.put("append", Writes::append);
    COMMANDS.put("delete_positions", (catalog, request) -> Writes.rowDelta(catalog, request, "delete_positions"));
    COMMANDS.put("delete_equality", (catalog, request) -> Writes.rowDelta(catalog, request, "delete_equality"));
    COMMANDS.put("row_delta", (catalog, request) -> Writes.rowDelta(catalog, request, "row_delta"));
    COMMANDS.put("read", Inspect::read);
    COMMANDS.put("inspect", Inspect::inspect);
    COMMANDS.put("load_metadata", Tables::loadMetadata);
    COMMANDS.put("add_column_with_default", V3Columns::addColumnWithDefault);
    COMMANDS.put("rewrite_with_lineage", V3Columns::rewriteWithLineage);
    COMMANDS.put("read_with_lineage", V3Columns::readWithLineage);
  }

  private JavaOracle() {}

  public static void main(String[] args) throws Exception {
    // Libraries log through slf4j-simple to stderr; keep them to warnings. Anything a library
    // prints to System.out goes to stderr too: stdout carries replies only.
    System.setProperty("org.slf4j.simpleLogger.defaultLogLevel", "warn");
    System.setProperty("org.slf4j.simpleLogger.logFile", "System.err");
    PrintStream replies = new PrintStream(new java.io.FileOutputStream(java.io.FileDescriptor.out), true, StandardCharsets.UTF_8);
    System.setOut(System.err);
    BufferedReader input = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
    if (args.length == 1 && args[0].equals("--serve")) {
      serve(input, replies);
      return;
    }
    if (args.length == 2 && args[0].equals("--self-check")) {
      SelfCheck.run(java.nio.file.Path.of(args[1]), JavaOracle::handle);
      System.exit(0);
    }
    if (args.length != 0) {
      System.err.println("usage: JavaOracle [--serve | --self-check DIR] < request.json");
      System.exit(2);
    }
    StringBuilder text = new StringBuilder();
    for (String line = input.readLine(); line != null; line = input.readLine()) text.append(line).append('\n');
    try {
      replies.println(Json.MAPPER.writeValueAsString(handle(Json.MAPPER.readTree(text.toString()))));
      replies.flush();
    } catch (Exception e) {
      System.err.println("floe java oracle: " + e.getMessage());
      e.printStackTrace(System.err);
      System.exit(1);
    }
    // Hadoop and the AWS SDK leave non-daemon threads behind.
    System.exit(0);
  }

  private static void serve(BufferedReader input, PrintStream replies) throws Exception {
    for (String line = input.readLine(); line != null; line = input.readLine()) {
      if (line.isBlank()) continue;
      ObjectNode reply = Json.object();
      try {
        reply.put("ok", true);
        reply.set("reply", handle(Json.MAPPER.readTree(line)));
      } catch (Exception | LinkageError e) {
        // LinkageError too: a class missing from the classpath must answer, not end the session.
        reply.removeAll();
        reply.put("ok", false);
        reply.put("error", e.getClass().getSimpleName() + ": " + e.getMessage());
        StringWriter trace = new StringWriter();
        e.printStackTrace(new PrintWriter(trace));
        reply.put("trace", trace.toString());
      }
      replies.println(Json.MAPPER.writeValueAsString(reply));
      replies.flush();
    }
    System.exit(0);
  }

  private static JsonNode handle(JsonNode request) throws Exception {
    if (request == null || !request.isObject()) throw new BadRequest("a request must be a JSON object {command, catalog, ...}");
    String name = Json.text(request, "command");
    Command command = COMMANDS.get(name);
    if (command == null) throw new BadRequest("unknown command '" + name + "'; expected one of " + String.join(", ", COMMANDS.keySet()));
    Catalog catalog = Catalogs.open(request.get("catalog"));
    try {
      return command.run(catalog, request);
    } finally {
      Catalogs.close(catalog);
    }
  }
}
