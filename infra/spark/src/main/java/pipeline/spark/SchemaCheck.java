package pipeline.spark;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Checks a JSON value against the published event schema (events/schemas/users-created.value.v1.json), read as
 * data, so the job validates against the very file the functions' zod schemas generate. It implements only the
 * keywords that file uses, with the semantics zod applies at run time: numbers are IEEE doubles as in
 * JavaScript (12.0 is an integer), and unknown object keys are stripped, not refused, whatever
 * {@code additionalProperties} says (the generator writes zod's output view). A keyword it does not know fails
 * construction, so a schema change cannot be silently ignored.
 */
final class SchemaCheck implements java.io.Serializable {
  private static final long serialVersionUID = 1L;

  private static final Set<String> IGNORED =
      Set.of("$id", "$schema", "title", "description", "format", "additionalProperties");
  private static final Set<String> SUPPORTED =
      Set.of(
          "type", "const", "enum", "minLength", "maxLength", "pattern", "minimum", "maximum", "properties",
          "required", "anyOf");

  private final JsonNode schema;
  private final Map<String, Pattern> patterns = new java.util.HashMap<>();

  SchemaCheck(JsonNode schema) {
    this.schema = schema;
    compile(schema, "#");
  }

  private void compile(JsonNode node, String where) {
    Iterator<String> names = node.fieldNames();
    while (names.hasNext()) {
      String keyword = names.next();
      if (!IGNORED.contains(keyword) && !SUPPORTED.contains(keyword)) {
        throw new IllegalArgumentException("schema keyword '" + keyword + "' at " + where + " is not supported");
      }
    }
    if (node.has("pattern")) {
      String pattern = node.get("pattern").asText();
      patterns.put(pattern, Pattern.compile(pattern));
    }
    node.path("properties").fields().forEachRemaining(e -> compile(e.getValue(), where + "/" + e.getKey()));
    int i = 0;
    for (JsonNode alternative : node.path("anyOf")) compile(alternative, where + "/anyOf/" + i++);
  }

  /** The problems of {@code value}, each as {@code path: what}; empty when it conforms. */
  List<String> problems(JsonNode value) {
    List<String> out = new ArrayList<>();
    check(schema, value, "", out);
    return out;
  }

  private void check(JsonNode s, JsonNode v, String path, List<String> out) {
    String at = path.isEmpty() ? "(root)" : path;
    if (s.has("anyOf")) {
      boolean any = false;
      for (JsonNode alternative : s.get("anyOf")) {
        List<String> sub = new ArrayList<>();
        check(alternative, v, path, sub);
        if (sub.isEmpty()) {
          any = true;
          break;
        }
      }
      if (!any) out.add(at + ": matches none of anyOf");
    }
    if (s.has("type") && !typeMatches(s.get("type"), v)) {
      out.add(at + ": expected " + s.get("type") + ", got " + v.getNodeType());
      return;
    }
    if (s.has("const") && !same(s.get("const"), v)) out.add(at + ": expected " + s.get("const"));
    if (s.has("enum")) {
      boolean listed = false;
      for (JsonNode option : s.get("enum")) listed |= same(option, v);
      if (!listed) out.add(at + ": expected one of " + s.get("enum"));
    }
    if (v.isTextual()) {
      String text = v.textValue();
      // zod measures strings in code points, as JSON Schema does: an emoji is one, not String.length()'s two.
      int length = text.codePointCount(0, text.length());
      if (s.has("minLength") && length < s.get("minLength").asInt()) out.add(at + ": too short");
      // The limit and the length, never the text: a value may be 200,000 characters long.
      if (s.has("maxLength") && length > s.get("maxLength").asInt()) {
        out.add(at + ": at most " + s.get("maxLength").asInt() + " characters, got " + length);
      }
      if (s.has("pattern") && !patterns.get(s.get("pattern").asText()).matcher(text).find()) {
        out.add(at + ": does not match the pattern");
      }
    }
    if (v.isNumber()) {
      double d = v.doubleValue();
      if (s.has("minimum") && d < s.get("minimum").doubleValue()) out.add(at + ": below the minimum");
      if (s.has("maximum") && d > s.get("maximum").doubleValue()) out.add(at + ": above the maximum");
    }
    if (v.isObject()) {
      for (JsonNode name : s.path("required")) {
        if (!v.has(name.asText())) out.add(path + "/" + name.asText() + ": required");
      }
      s.path("properties")
          .fields()
          .forEachRemaining(
              e -> {
                JsonNode child = v.get(e.getKey());
                if (child != null) check(e.getValue(), child, path + "/" + e.getKey(), out);
              });
    }
  }

  private static boolean typeMatches(JsonNode type, JsonNode v) {
    if (type.isArray()) {
      for (JsonNode t : type) if (typeMatches(t, v)) return true;
      return false;
    }
    return switch (type.asText()) {
      case "string" -> v.isTextual();
      case "number" -> v.isNumber() && Double.isFinite(v.doubleValue());
      case "integer" -> isInteger(v);
      case "object" -> v.isObject();
      case "array" -> v.isArray();
      case "boolean" -> v.isBoolean();
      case "null" -> v.isNull();
      default -> throw new IllegalArgumentException("unknown JSON Schema type " + type);
    };
  }

  /** JavaScript's Number.isInteger on the value JSON.parse would give: 12.0 and 1e2 are integers. */
  static boolean isInteger(JsonNode v) {
    if (!v.isNumber()) return false;
    double d = v.doubleValue();
    return Double.isFinite(d) && d == Math.rint(d);
  }

  /** Equality as JavaScript's === sees JSON.parse's results: numbers compare as doubles. */
  private static boolean same(JsonNode a, JsonNode b) {
    if (a.isNumber() && b.isNumber()) return a.doubleValue() == b.doubleValue();
    return a.equals(b);
  }
}
