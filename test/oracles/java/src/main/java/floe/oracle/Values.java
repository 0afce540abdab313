package floe.oracle;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.nio.ByteBuffer;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.LocalTime;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.apache.iceberg.Schema;
import org.apache.iceberg.data.GenericRecord;
import org.apache.iceberg.data.Record;
import org.apache.iceberg.types.Type;
import org.apache.iceberg.types.Types;

/**
 * Cell values between JSON and Iceberg's generic data model (GenericRecord): LocalDate, LocalTime,
 * LocalDateTime / OffsetDateTime, BigDecimal, UUID, byte[] for fixed, ByteBuffer for binary.
 *
 * <p>The JSON side follows test/oracles/pyiceberg_tool.py so rows from either oracle compare as
 * they are: longs as strings, timestamps as ISO-8601 UTC with microseconds and a trailing Z (nine
 * digits for nanosecond types), dates YYYY-MM-DD, times HH:MM:SS.ffffff, decimals as strings,
 * binary and fixed as base64, NaN and infinities as strings, maps as [{key, value}].
 */
final class Values {
  private static final DateTimeFormatter MICROS = DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.SSSSSS'Z'");
  private static final DateTimeFormatter NANOS = DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.SSSSSSSSS'Z'");
  private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("HH:mm:ss.SSSSSS");

  private Values() {}

  // ------------------------------------------------------------------ JSON in

  /** A record of `schema` from a JSON object; absent keys are null, unknown keys are an error. */
  static Record record(Schema schema, JsonNode row, String where) {
    return struct(schema.asStruct(), row, where);
  }

  private static Record struct(Types.StructType type, JsonNode row, String where) {
    if (!row.isObject()) throw new BadRequest(where + " must be a JSON object, got " + Json.describe(row));
    GenericRecord record = GenericRecord.create(type);
    for (Iterator<String> names = row.fieldNames(); names.hasNext(); ) {
      String name = names.next();
      if (type.field(name) == null) {
        throw new BadRequest(where + " has column '" + name + "', which the table schema does not have (columns: " + names(type) + ")");
      }
    }
    for (Types.NestedField field : type.fields()) {
      String at = where + "." + field.name();
      Object value = fromJson(row.get(field.name()), field.type(), at);
      if (value == null && field.isRequired()) throw new BadRequest(at + " is a required " + field.type() + " column but the row gives no value");
      record.setField(field.name(), value);
    }
    return record;
  }

  static Object fromJson(JsonNode value, Type type, String where) {
    if (value == null || value.isNull()) return null;
    try {
      switch (type.typeId()) {
        case BOOLEAN:
          if (!value.isBoolean()) throw expected(where, type, value);
          return value.booleanValue();
        case INTEGER:
          long asLong = Json.longValue(value, where);
          if (asLong != (int) asLong) throw new BadRequest(where + " does not fit an int: " + value);
          return (int) asLong;
        case LONG:
          return Json.longValue(value, where);
        case FLOAT:
          return (float) floating(value, type, where);
        case DOUBLE:
          return floating(value, type, where);
        case DATE:
          return LocalDate.parse(value.asText());
        case TIME:
          return LocalTime.parse(value.asText());
        case TIMESTAMP:
        case TIMESTAMP_NANO:
          return adjustsToUtc(type) ? instant(value.asText()) : wallClock(value.asText());
        case STRING:
          if (!value.isTextual()) throw expected(where, type, value);
          return value.asText();
        case UUID:
          return UUID.fromString(value.asText());
        case FIXED:
          byte[] fixed = Base64.getDecoder().decode(value.asText());
          int length = ((Types.FixedType) type).length();
          if (fixed.length != length) throw new BadRequest(where + " must be " + length + " bytes (base64), got " + fixed.length);
          return fixed;
        case BINARY:
          return ByteBuffer.wrap(Base64.getDecoder().decode(value.asText()));
        case DECIMAL:
          Types.DecimalType decimal = (Types.DecimalType) type;
          BigDecimal parsed = new BigDecimal(value.isTextual() ? value.asText() : value.toString());
          try {
            return parsed.setScale(decimal.scale(), RoundingMode.UNNECESSARY);
          } catch (ArithmeticException e) {
            throw new BadRequest(where + " has more than " + decimal.scale() + " decimal places: " + value);
          }
        case STRUCT:
          return struct(type.asStructType(), value, where);
        case LIST:
          if (!value.isArray()) throw expected(where, type, value);
          List<Object> list = new ArrayList<>();
          Type element = type.asListType().elementType();
          for (int i = 0; i < value.size(); i++) list.add(fromJson(value.get(i), element, where + "[" + i + "]"));
          return list;
        case MAP:
          return map(value, type.asMapType(), where);
        default:
          throw new BadRequest(where + ": the oracle does not write " + type + " values");
      }
    } catch (DateTimeParseException | IllegalArgumentException e) {
      throw new BadRequest(where + " is not a valid " + type + ": " + Json.describe(value) + " (" + e.getMessage() + ")");
    }
  }

  private static double floating(JsonNode value, Type type, String where) {
    if (value.isNumber()) return value.doubleValue();
    if (value.isTextual()) {
      switch (value.asText()) {
        case "NaN":
          return Double.NaN;
        case "Infinity":
          return Double.POSITIVE_INFINITY;
        case "-Infinity":
          return Double.NEGATIVE_INFINITY;
        default:
          return Double.parseDouble(value.asText());
      }
    }
    throw expected(where, type, value);
  }

  private static boolean adjustsToUtc(Type type) {
    return type instanceof Types.TimestampType
        ? ((Types.TimestampType) type).shouldAdjustToUTC()
        : ((Types.TimestampNanoType) type).shouldAdjustToUTC();
  }

  /** timestamptz: an instant; text without an offset is read as UTC. */
  private static OffsetDateTime instant(String text) {
    try {
      return OffsetDateTime.parse(text).withOffsetSameInstant(ZoneOffset.UTC);
    } catch (DateTimeParseException e) {
      return LocalDateTime.parse(text).atOffset(ZoneOffset.UTC);
    }
  }

  /** timestamp (no zone): text with an offset is stored as its UTC wall time, as pyiceberg's tool does. */
  private static LocalDateTime wallClock(String text) {
    try {
      return OffsetDateTime.parse(text).withOffsetSameInstant(ZoneOffset.UTC).toLocalDateTime();
    } catch (DateTimeParseException e) {
      return LocalDateTime.parse(text);
    }
  }

  private static Map<Object, Object> map(JsonNode value, Types.MapType type, String where) {
    Map<Object, Object> map = new LinkedHashMap<>();
    if (value.isArray()) {
      for (JsonNode entry : value) {
        if (!entry.isObject() || !entry.has("key")) throw new BadRequest(where + " entries must be {key, value}, got " + Json.describe(entry));
        map.put(fromJson(entry.get("key"), type.keyType(), where + ".key"), fromJson(entry.get("value"), type.valueType(), where + ".value"));
      }
      return map;
    }
    if (value.isObject()) {
      // A JSON object works for string keys.
      value.fields().forEachRemaining(entry ->
          map.put(fromJson(Json.NODES.textNode(entry.getKey()), type.keyType(), where + ".key"), fromJson(entry.getValue(), type.valueType(), where + "." + entry.getKey())));
      return map;
    }
    throw expected(where, type, value);
  }

  private static BadRequest expected(String where, Type type, JsonNode value) {
    return new BadRequest(where + " must be a JSON value for " + type + ", got " + Json.describe(value));
  }

  private static String names(Types.StructType type) {
    List<String> names = new ArrayList<>();
    type.fields().forEach(field -> names.add(field.name()));
    return String.join(", ", names);
  }

  // ------------------------------------------------------------------ JSON out

  static ObjectNode rowJson(Record record, Types.StructType type) {
    ObjectNode row = Json.object();
    for (Types.NestedField field : type.fields()) row.set(field.name(), toJson(record.getField(field.name()), field.type()));
    return row;
  }

  static JsonNode toJson(Object value, Type type) {
    if (value == null) return Json.NODES.nullNode();
    switch (type.typeId()) {
      case BOOLEAN:
        return Json.NODES.booleanNode((Boolean) value);
      case INTEGER:
        return Json.NODES.numberNode((Integer) value);
      case LONG:
        return Json.NODES.textNode(value.toString());
      case FLOAT:
        return floatingJson(((Float) value).doubleValue());
      case DOUBLE:
        return floatingJson((Double) value);
      case DATE:
        return Json.NODES.textNode(value.toString());
      case TIME:
        return Json.NODES.textNode(((LocalTime) value).format(TIME));
      case TIMESTAMP:
      case TIMESTAMP_NANO:
        LocalDateTime utc = value instanceof OffsetDateTime
            ? ((OffsetDateTime) value).withOffsetSameInstant(ZoneOffset.UTC).toLocalDateTime()
            : (LocalDateTime) value;
        return Json.NODES.textNode(utc.format(type.typeId() == Type.TypeID.TIMESTAMP_NANO ? NANOS : MICROS));
      case STRING:
      case UUID:
        return Json.NODES.textNode(value.toString());
      case FIXED:
      case BINARY:
        return Json.NODES.textNode(Base64.getEncoder().encodeToString(bytes(value)));
      case DECIMAL:
        return Json.NODES.textNode(((BigDecimal) value).toString());
      case STRUCT:
        return rowJson((Record) value, type.asStructType());
      case LIST:
        ArrayNode list = Json.array();
        for (Object item : (List<?>) value) list.add(toJson(item, type.asListType().elementType()));
        return list;
      case MAP:
        ArrayNode entries = Json.array();
        for (Map.Entry<?, ?> entry : ((Map<?, ?>) value).entrySet()) {
          ObjectNode pair = Json.object();
          pair.set("key", toJson(entry.getKey(), type.asMapType().keyType()));
          pair.set("value", toJson(entry.getValue(), type.asMapType().valueType()));
          entries.add(pair);
        }
        return entries;
      default:
        return Json.NODES.textNode(value.toString());
    }
  }

  private static JsonNode floatingJson(double value) {
    if (Double.isNaN(value)) return Json.NODES.textNode("NaN");
    if (Double.isInfinite(value)) return Json.NODES.textNode(value > 0 ? "Infinity" : "-Infinity");
    return Json.NODES.numberNode(value);
  }

  private static byte[] bytes(Object value) {
    if (value instanceof byte[]) return (byte[]) value;
    ByteBuffer buffer = ((ByteBuffer) value).duplicate();
    byte[] bytes = new byte[buffer.remaining()];
    buffer.get(bytes);
    return bytes;
  }

  /**
   * A partition value in Iceberg's internal representation (dates as days, timestamps as µs,
   * hour/day/month/year transforms as ints): ints as numbers, longs as strings.
   */
  static JsonNode internalJson(Object value) {
    if (value == null) return Json.NODES.nullNode();
    if (value instanceof Integer) return Json.NODES.numberNode((Integer) value);
    if (value instanceof Long) return Json.NODES.textNode(value.toString());
    if (value instanceof Boolean) return Json.NODES.booleanNode((Boolean) value);
    if (value instanceof Float) return floatingJson(((Float) value).doubleValue());
    if (value instanceof Double) return floatingJson((Double) value);
    if (value instanceof ByteBuffer || value instanceof byte[]) return Json.NODES.textNode(Base64.getEncoder().encodeToString(bytes(value)));
    return Json.NODES.textNode(value.toString());
  }
}
