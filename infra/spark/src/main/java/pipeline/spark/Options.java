package pipeline.spark;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The job's command line. Defaults suit the local stack; every one can be given on the command line, which is
 * how spark-submit on a real cluster passes them (after the jar).
 */
record Options(
    String master,
    String bootstrapServers,
    String topic,
    String startingOffsets,
    Long maxOffsetsPerTrigger,
    String cassandraHost,
    int cassandraPort,
    String cassandraDc,
    String keyspace,
    String aggregatesTable,
    boolean parity,
    String usersTable,
    String checkpoint,
    String watermark,
    String trigger,
    Map<String, String> conf) {

  static final String USAGE =
      String.join(
          "\n",
          "usage: UsersStream --checkpoint DIR [options]",
          "  --master URL                 local[2] (default) or spark://host:7077; omit under spark-submit",
          "  --bootstrap-servers H:P      Kafka (127.0.0.1:9092)",
          "  --topic NAME                 users_created",
          "  --starting-offsets WHAT      earliest (default) or latest; only for a new checkpoint",
          "  --max-offsets-per-trigger N  cap on the records of one micro-batch (none)",
          "  --cassandra HOST:PORT        127.0.0.1:9042",
          "  --cassandra-dc NAME          datacenter1",
          "  --keyspace NAME              spark_streams",
          "  --aggregates-table NAME      user_counts_by_minute",
          "  --parity                     also write created_users rows, as sink-users does",
          "  --users-table NAME           created_users",
          "  --checkpoint DIR             where the queries keep their offsets and state (required)",
          "  --watermark DELAY            how late an event may arrive: 10 minutes",
          "  --trigger INTERVAL           micro-batch interval: 0 seconds (as fast as data comes)",
          "  --conf KEY=VALUE             any Spark setting; repeatable");

  static Options parse(String[] args) {
    Map<String, String> values = new LinkedHashMap<>();
    Map<String, String> conf = new LinkedHashMap<>();
    boolean parity = false;
    List<String> rest = new ArrayList<>(List.of(args));
    while (!rest.isEmpty()) {
      String flag = rest.remove(0);
      if (flag.equals("--parity")) {
        parity = true;
        continue;
      }
      if (flag.equals("--help") || flag.equals("-h")) throw new IllegalArgumentException(USAGE);
      if (!flag.startsWith("--") || rest.isEmpty()) {
        throw new IllegalArgumentException("expected --option VALUE, got '" + flag + "'\n" + USAGE);
      }
      String value = rest.remove(0);
      if (flag.equals("--conf")) {
        int eq = value.indexOf('=');
        if (eq <= 0) throw new IllegalArgumentException("--conf takes KEY=VALUE, got '" + value + "'");
        conf.put(value.substring(0, eq), value.substring(eq + 1));
      } else {
        values.put(flag.substring(2), value);
      }
    }
    String cassandra = values.getOrDefault("cassandra", "127.0.0.1:9042");
    int colon = cassandra.lastIndexOf(':');
    String checkpoint = values.get("checkpoint");
    if (checkpoint == null) throw new IllegalArgumentException("--checkpoint is required\n" + USAGE);
    Options options =
        new Options(
            values.get("master"),
            values.getOrDefault("bootstrap-servers", "127.0.0.1:9092"),
            values.getOrDefault("topic", "users_created"),
            values.getOrDefault("starting-offsets", "earliest"),
            values.containsKey("max-offsets-per-trigger")
                ? Long.valueOf(values.get("max-offsets-per-trigger"))
                : null,
            colon < 0 ? cassandra : cassandra.substring(0, colon),
            colon < 0 ? 9042 : Integer.parseInt(cassandra.substring(colon + 1)),
            values.getOrDefault("cassandra-dc", "datacenter1"),
            values.getOrDefault("keyspace", "spark_streams"),
            values.getOrDefault("aggregates-table", "user_counts_by_minute"),
            parity,
            values.getOrDefault("users-table", "created_users"),
            checkpoint,
            values.getOrDefault("watermark", "10 minutes"),
            values.getOrDefault("trigger", "0 seconds"),
            conf);
    List<String> known =
        List.of(
            "master", "bootstrap-servers", "topic", "starting-offsets", "max-offsets-per-trigger", "cassandra",
            "cassandra-dc", "keyspace", "aggregates-table", "users-table", "checkpoint", "watermark", "trigger");
    for (String name : values.keySet()) {
      if (!known.contains(name)) throw new IllegalArgumentException("unknown option --" + name + "\n" + USAGE);
    }
    return options;
  }
}
