package floe.oracle;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Reading request fields and building replies with Jackson (which iceberg-core already brings). */
final class Json {
  static final ObjectMapper MAPPER = new ObjectMapper();
  static final JsonNodeFactory NODES = JsonNodeFactory.instance;
  /** Beyond this, JavaScript's JSON.parse loses digits: such integers travel as strings. */
  static final long MAX_SAFE_INTEGER = (1L << 53) - 1;

  private Json() {}

  static ObjectNode object() {
    return NODES.objectNode();
  }

  static ArrayNode array() {
    return NODES.arrayNode();
  }

  static boolean has(JsonNode node, String field) {
    return node.hasNonNull(field);
  }

  static String text(JsonNode node, String field) {
    JsonNode value = node.get(field);
    if (value == null || !value.isTextual()) {
      throw new BadRequest("'" + field + "' must be a string, got " + describe(value));
    }
    return value.asText();
  }

  static String optionalText(JsonNode node, String field) {
    return has(node, field) ? text(node, field) : null;
  }

  static ArrayNode requiredArray(JsonNode node, String field) {
    JsonNode value = node.get(field);
    if (value == null || !value.isArray()) {
      throw new BadRequest("'" + field + "' must be an array, got " + describe(value));
    }
    return (ArrayNode) value;
  }

  static ObjectNode requiredObject(JsonNode node, String field) {
    JsonNode value = node.get(field);
    if (value == null || !value.isObject()) {
      throw new BadRequest("'" + field + "' must be an object, got " + describe(value));
    }
    return (ObjectNode) value;
  }

  static List<String> stringList(JsonNode node, String field) {
    List<String> values = new ArrayList<>();
    for (JsonNode item : requiredArray(node, field)) {
      if (!item.isTextual()) throw new BadRequest("'" + field + "' must hold strings, got " + describe(item));
      values.add(item.asText());
    }
    return values;
  }

  /** A 64-bit integer given as a JSON number or as a decimal string (how JavaScript sends big ones). */
  static long longValue(JsonNode value, String what) {
    if (value != null && value.canConvertToExactIntegral() && value.canConvertToLong()) return value.asLong();
    if (value != null && value.isTextual() && value.asText().matches("-?\\d+")) {
      try {
        return Long.parseLong(value.asText());
      } catch (NumberFormatException e) {
        throw new BadRequest(what + " does not fit a 64-bit integer: " + value.asText());
      }
    }
    throw new BadRequest(what + " must be an integer (number or decimal string), got " + describe(value));
  }

  static Long optionalLong(JsonNode node, String field) {
    return has(node, field) ? longValue(node.get(field), "'" + field + "'") : null;
  }

  static Map<String, String> stringMap(JsonNode node, String field) {
    Map<String, String> map = new LinkedHashMap<>();
    JsonNode value = node.get(field);
    if (value == null || value.isNull()) return map;
    if (!value.isObject()) throw new BadRequest("'" + field + "' must be an object of strings, got " + describe(value));
    for (Iterator<Map.Entry<String, JsonNode>> it = value.fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> entry = it.next();
      JsonNode item = entry.getValue();
      map.put(entry.getKey(), item.isTextual() ? item.asText() : item.toString());
    }
    return map;
  }

  /** A long for a reply: a number while JavaScript can hold it exactly, else a string. */
  static JsonNode safeLong(long value) {
    return Math.abs(value) <= MAX_SAFE_INTEGER ? NODES.numberNode(value) : NODES.textNode(Long.toString(value));
  }

  /** Always a string: snapshot ids and long columns, as the pyiceberg oracle prints them. */
  static JsonNode longText(Long value) {
    return value == null ? NODES.nullNode() : NODES.textNode(Long.toString(value));
  }

  /** A parsed copy of a JSON document in which integers beyond 2^53 became strings. */
  static JsonNode withSafeIntegers(JsonNode node) {
    if (node.isIntegralNumber()) {
      BigInteger value = node.bigIntegerValue();
      return value.abs().compareTo(BigInteger.valueOf(MAX_SAFE_INTEGER)) <= 0 ? node : new TextNode(value.toString());
    }
    if (node.isArray()) {
      ArrayNode copy = array();
      node.forEach(item -> copy.add(withSafeIntegers(item)));
      return copy;
    }
    if (node.isObject()) {
      ObjectNode copy = object();
      node.fields().forEachRemaining(entry -> copy.set(entry.getKey(), withSafeIntegers(entry.getValue())));
      return copy;
    }
    return node;
  }

  static String describe(JsonNode value) {
    if (value == null || value.isMissingNode()) return "nothing";
    String text = value.toString();
    return text.length() > 120 ? text.substring(0, 117) + "..." : text;
  }
}
