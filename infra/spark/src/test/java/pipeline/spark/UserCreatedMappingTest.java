package pipeline.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

/** The Spark mapping against the shared vectors, which the TypeScript sink passes too. */
class UserCreatedMappingTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final UserCreatedMapping MAPPING = UserCreatedMapping.fromBundledSchema();

  static JsonNode vectors() throws IOException {
    String file = System.getProperty("vectors");
    if (file == null) throw new IllegalStateException("the vectors system property is not set (see pom.xml)");
    return JSON.readTree(new File(file)).get("vectors");
  }

  /** The record value's bytes, as the vector spells them. */
  static byte[] bytes(JsonNode v) throws IOException {
    if (v.has("valueBase64")) return Base64.getDecoder().decode(v.get("valueBase64").asText());
    if (v.has("valueText")) return v.get("valueText").asText().getBytes(StandardCharsets.UTF_8);
    return JSON.writeValueAsBytes(v.get("value"));
  }

  static Map<String, Object> columns(UserCreatedMapping.Row r) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("id", r.id());
    m.put("first_name", r.firstName());
    m.put("last_name", r.lastName());
    m.put("gender", r.gender());
    m.put("address", r.address());
    m.put("post_code", r.postCode());
    m.put("email", r.email());
    m.put("username", r.username());
    m.put("dob", r.dob());
    m.put("registered_date", r.registeredDate());
    m.put("phone", r.phone());
    m.put("picture", r.picture());
    m.put("nationality", r.nationality());
    return m;
  }

  @TestFactory
  Stream<DynamicTest> everyVectorMapsAsTheTypeScriptSinkDoes() throws IOException {
    List<DynamicTest> tests = new ArrayList<>();
    for (JsonNode v : vectors()) {
      tests.add(
          DynamicTest.dynamicTest(
              v.get("name").asText(),
              () -> {
                UserCreatedMapping.Result result = MAPPING.map(bytes(v));
                JsonNode expect = v.get("expect");
                if (expect.has("rejected")) {
                  var rejected = assertInstanceOf(UserCreatedMapping.Rejected.class, result);
                  assertEquals(expect.get("rejected").asText(), rejected.code());
                  return;
                }
                var accepted = assertInstanceOf(UserCreatedMapping.Accepted.class, result, result.toString());
                Map<String, Object> want = new LinkedHashMap<>();
                expect.get("row").fields().forEachRemaining(e -> want.put(e.getKey(), e.getValue().asText()));
                want.put("dob", Instant.parse((String) want.get("dob")));
                want.put("registered_date", Instant.parse((String) want.get("registered_date")));
                assertEquals(want, columns(accepted.row()));
              }));
    }
    assertTrue(tests.size() > 40, "expected the shared vectors, found " + tests.size());
    return tests.stream();
  }

  @Test
  void eachRejectionSaysWhereWithoutQuotingTheValue() throws IOException {
    for (JsonNode v : vectors()) {
      if (MAPPING.map(bytes(v)) instanceof UserCreatedMapping.Rejected r && r.code().equals("VALUE_INVALID")) {
        assertTrue(r.reason().contains(":"), r.reason());
        assertTrue(!r.reason().contains("hunter2") && !r.reason().contains("@"), r.reason());
      }
    }
  }

  @Test
  void refusesASchemaKeywordItDoesNotImplement() throws IOException {
    JsonNode schema = JSON.readTree("{\"type\":\"object\",\"properties\":{\"a\":{\"type\":\"number\",\"multipleOf\":3}}}");

    var error = assertThrows(IllegalArgumentException.class, () -> new SchemaCheck(schema));

    assertTrue(error.getMessage().contains("multipleOf"), error.getMessage());
  }

  @Test
  void refusesAStringOverItsMaxLengthNamingTheLimitNotTheValue() throws IOException {
    JsonNode schema = JSON.readTree("{\"type\":\"object\",\"properties\":{\"a\":{\"type\":\"string\",\"maxLength\":3}}}");
    var check = new SchemaCheck(schema);

    assertEquals(List.of(), check.problems(JSON.readTree("{\"a\":\"abc\"}")));
    assertEquals(List.of("/a: at most 3 characters, got 4"), check.problems(JSON.readTree("{\"a\":\"abcd\"}")));
    // Counted in code points, as zod counts them: three emoji are three, though six UTF-16 units.
    assertEquals(List.of(), check.problems(JSON.readTree("{\"a\":\"\ud83d\ude00\ud83d\ude00\ud83d\ude00\"}")));
  }

  @Test
  void datesKeepMillisecondsAsJavaScriptDoes() {
    assertEquals(Instant.parse("2020-01-02T03:04:05.123Z"), UserCreatedMapping.jsDate("2020-01-02T03:04:05.123456789Z"));
    assertEquals(Instant.parse("2020-01-02T03:04:05.500Z"), UserCreatedMapping.jsDate("2020-01-02T03:04:05.5Z"));
    assertEquals(Instant.parse("2020-01-02T03:04:05Z"), UserCreatedMapping.jsDate("2020-01-02T03:04:05Z"));
  }
}
