package pipeline.spark;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.io.Serializable;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;

/**
 * The Spark side of the record → row contract that sink-users implements in
 * functions/sink-users/{core,mapping}.ts: a {@code users_created} value, taken out of the Confluent wire format
 * when it is in it, is decoded as strict UTF-8, parsed as
 * JSON, checked against the published schema plus the rule the schema cannot express (id = user.login.uuid),
 * and mapped to a {@code created_users} row. A record sink-users would dead-letter is rejected here with the same
 * code; test/fixtures/mapping-vectors.json holds the cases both implementations must agree on.
 *
 * <p>Pure and serializable, so executors run it as is.
 */
public final class UserCreatedMapping implements Serializable {
  private static final long serialVersionUID = 1L;

  /** Rejection codes, as functions/sink-users/core.ts names them. */
  public static final String MISSING = "VALUE_MISSING";

  public static final String NOT_UTF8 = "VALUE_NOT_UTF8";
  public static final String NOT_JSON = "VALUE_NOT_JSON";
  public static final String INVALID = "VALUE_INVALID";
  public static final String FRAMING = "VALUE_FRAMING_INVALID";

  /**
   * The Confluent wire format's header: the magic byte 0, then the schema's registry id in 4 bytes. Framed by
   * hand because Confluent's Java deserializers are not on Maven Central (the job resolves everything from
   * there), and they would fetch each schema from the registry, which the job does not use: the value is
   * checked against the schema bundled into the jar, as for plain JSON. The id is not checked here; sink-users
   * checks it against the registry.
   */
  static final int WIRE_HEADER_BYTES = 5;

  static final String SCHEMA_RESOURCE = "/schemas/users-created.value.v1.json";

  // Created per JVM: ObjectMapper is thread-safe once configured, but not serializable.
  private static final ObjectMapper JSON =
      new ObjectMapper().enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);

  private final SchemaCheck schema;

  private UserCreatedMapping(SchemaCheck schema) {
    this.schema = schema;
  }

  /** The mapping that checks values against the schema bundled into the job jar from events/schemas/. */
  public static UserCreatedMapping fromBundledSchema() {
    try (InputStream in = UserCreatedMapping.class.getResourceAsStream(SCHEMA_RESOURCE)) {
      if (in == null) throw new IllegalStateException(SCHEMA_RESOURCE + " is missing from the job jar");
      return new UserCreatedMapping(new SchemaCheck(JSON.readTree(in)));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** A {@code created_users} row; dates are the instants of randomuser's ISO strings, to the millisecond. */
  public record Row(
      String id,
      String firstName,
      String lastName,
      String gender,
      String address,
      String postCode,
      String email,
      String username,
      Instant dob,
      Instant registeredDate,
      String phone,
      String picture,
      String nationality) {}

  /** A valid record: its row, plus what the aggregates need (the event time and the country). */
  public record Accepted(Row row, Instant fetchedAt, String country) implements Result {}

  /** A record sink-users would dead-letter, with the same code and a reason that names paths, never values. */
  public record Rejected(String code, String reason) implements Result {}

  /** What one record maps to. */
  public sealed interface Result permits Accepted, Rejected {}

  /** Maps one Kafka value (null when the record has none). */
  public Result map(byte[] value) {
    if (value == null || value.length == 0) return new Rejected(MISSING, "missing");
    int start = 0;
    // A JSON text never starts with a NUL byte, so a value that does is in the wire format.
    if (value[0] == 0) {
      if (value.length < WIRE_HEADER_BYTES) {
        return new Rejected(
            FRAMING,
            "starts with the wire format's magic byte 0 but has "
                + value.length
                + " bytes, fewer than its "
                + WIRE_HEADER_BYTES
                + "-byte header");
      }
      start = WIRE_HEADER_BYTES;
    }
    String text;
    try {
      text =
          StandardCharsets.UTF_8
              .newDecoder()
              .onMalformedInput(CodingErrorAction.REPORT)
              .onUnmappableCharacter(CodingErrorAction.REPORT)
              .decode(ByteBuffer.wrap(value, start, value.length - start))
              .toString();
    } catch (CharacterCodingException e) {
      return new Rejected(NOT_UTF8, "not UTF-8");
    }
    // TextDecoder, which sink-users decodes with, drops a leading byte order mark.
    if (text.startsWith("\uFEFF")) text = text.substring(1);
    JsonNode json;
    try {
      json = JSON.readTree(text);
    } catch (JsonProcessingException e) {
      return new Rejected(NOT_JSON, "not JSON");
    }
    if (json == null || json.isMissingNode()) return new Rejected(NOT_JSON, "not JSON");
    List<String> problems = schema.problems(json);
    if (problems.isEmpty() && !json.at("/id").equals(json.at("/user/login/uuid"))) {
      problems = List.of("/id: id must equal user.login.uuid");
    }
    if (!problems.isEmpty()) return new Rejected(INVALID, String.join("; ", problems));
    return accepted(json);
  }

  private static Accepted accepted(JsonNode v) {
    JsonNode user = v.get("user");
    JsonNode location = user.get("location");
    JsonNode street = location.get("street");
    String country = text(location, "country");
    Row row =
        new Row(
            text(user.get("login"), "uuid"),
            text(user.get("name"), "first"),
            text(user.get("name"), "last"),
            text(user, "gender"),
            jsNumber(street.get("number"))
                + " "
                + text(street, "name")
                + ", "
                + text(location, "city")
                + ", "
                + text(location, "state")
                + ", "
                + country,
            location.get("postcode").isTextual()
                ? location.get("postcode").textValue()
                : jsNumber(location.get("postcode")),
            text(user, "email"),
            text(user.get("login"), "username"),
            jsDate(text(user.get("dob"), "date")),
            jsDate(text(user.get("registered"), "date")),
            text(user, "phone"),
            text(user.get("picture"), "medium"),
            text(user, "nat"));
    return new Accepted(row, jsDate(text(v, "fetchedAt")), country);
  }

  private static String text(JsonNode node, String field) {
    return node.get(field).textValue();
  }

  /**
   * String(n) for an integer the schema admitted (|n| ≤ 2^53 - 1): plain digits, and -0 prints as 0, as in
   * JavaScript.
   */
  static String jsNumber(JsonNode n) {
    return Long.toString((long) n.doubleValue());
  }

  /**
   * new Date(iso) for the ISO instants the schema admits (UTC, "Z", any number of fraction digits): JavaScript
   * keeps milliseconds and drops the rest, where Instant.parse would take up to nanoseconds.
   */
  static Instant jsDate(String iso) {
    int dot = iso.indexOf('.');
    if (dot < 0) return Instant.parse(iso);
    String fraction = iso.substring(dot + 1, iso.length() - 1);
    String millis = (fraction + "00").substring(0, 3);
    return Instant.parse(iso.substring(0, dot + 1) + millis + "Z");
  }
}
