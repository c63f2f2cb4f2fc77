package pipeline.spark;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.to_date;
import static org.apache.spark.sql.functions.window;

import java.lang.management.ManagementFactory;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeoutException;
import org.apache.spark.api.java.function.VoidFunction2;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.api.java.UDF1;
import org.apache.spark.sql.expressions.UserDefinedFunction;
import org.apache.spark.sql.functions;
import org.apache.spark.sql.streaming.StreamingQueryException;
import org.apache.spark.sql.streaming.StreamingQueryListener;
import org.apache.spark.sql.streaming.StreamingQueryProgress;
import org.apache.spark.sql.streaming.Trigger;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.util.LongAccumulator;

/**
 * infra/spark: the Spark Structured Streaming path of the pipeline, an alternative to sink-users. It reads
 * {@code users_created} and keeps per-minute user counts by country and gender in Cassandra (event time =
 * {@code fetchedAt}, with a watermark, duplicates of a user id dropped within it), writing each window's
 * recomputed count, so a replayed micro-batch rewrites the same values instead of adding to them. With
 * {@code --parity} it also writes {@code created_users} rows exactly as sink-users does (see
 * {@link UserCreatedMapping}). Each micro-batch prints one line of progress on stdout.
 */
public final class UsersStream {
  private UsersStream() {}

  /** A record's parsed form: the created_users columns, then what the aggregates need. */
  static final StructType PARSED =
      new StructType()
          .add("id", DataTypes.StringType, false)
          .add("first_name", DataTypes.StringType, false)
          .add("last_name", DataTypes.StringType, false)
          .add("gender", DataTypes.StringType, false)
          .add("address", DataTypes.StringType, false)
          .add("post_code", DataTypes.StringType, false)
          .add("email", DataTypes.StringType, false)
          .add("username", DataTypes.StringType, false)
          .add("dob", DataTypes.TimestampType, false)
          .add("registered_date", DataTypes.TimestampType, false)
          .add("phone", DataTypes.StringType, false)
          .add("picture", DataTypes.StringType, false)
          .add("nationality", DataTypes.StringType, false)
          .add("fetched_at", DataTypes.TimestampType, false)
          .add("country", DataTypes.StringType, false);

  static final String[] USER_COLUMNS = {
    "id", "first_name", "last_name", "gender", "address", "post_code", "email", "username", "dob",
    "registered_date", "phone", "picture", "nationality"
  };

  public static void main(String[] args) throws TimeoutException, StreamingQueryException {
    Options options;
    try {
      options = Options.parse(args);
    } catch (IllegalArgumentException e) {
      System.err.println(e.getMessage());
      System.exit(2);
      return;
    }
    SparkSession spark = session(options);
    Map<String, LongAccumulator> rejected = new ConcurrentHashMap<>();
    spark.streams().addListener(new ProgressLines(rejected));

    Dataset<Row> kafka = source(spark, options);
    rejected.put("aggregates", spark.sparkContext().longAccumulator("aggregates.rejected"));
    aggregates(parsed(kafka, rejected.get("aggregates")), options);
    if (options.parity()) {
      rejected.put("created_users", spark.sparkContext().longAccumulator("created_users.rejected"));
      parity(parsed(kafka, rejected.get("created_users")), options);
    }
    System.out.printf(
        "users-stream started master=%s topic=%s parity=%s checkpoint=%s%n",
        spark.sparkContext().master(), options.topic(), options.parity(), options.checkpoint());
    spark.streams().awaitAnyTermination();
  }

  private static SparkSession session(Options o) {
    SparkSession.Builder builder = SparkSession.builder().appName("users-stream");
    if (o.master() != null) builder.master(o.master());
    builder
        // Two cores locally; on a cluster, --conf spark.sql.shuffle.partitions=N (fixed once a checkpoint exists).
        .config("spark.sql.shuffle.partitions", "2")
        .config("spark.sql.session.timeZone", "UTC")
        // Streaming queries ignore adaptive execution anyway, with a warning per query.
        .config("spark.sql.adaptive.enabled", "false")
        .config("spark.sql.datetime.java8API.enabled", "true")
        .config("spark.cassandra.connection.host", o.cassandraHost())
        .config("spark.cassandra.connection.port", String.valueOf(o.cassandraPort()))
        .config("spark.cassandra.connection.localDC", o.cassandraDc());
    o.conf().forEach(builder::config);
    return builder.getOrCreate();
  }

  private static Dataset<Row> source(SparkSession spark, Options o) {
    var reader =
        spark
            .readStream()
            .format("kafka")
            .option("kafka.bootstrap.servers", o.bootstrapServers())
            .option("subscribe", o.topic())
            .option("startingOffsets", o.startingOffsets());
    if (o.maxOffsetsPerTrigger() != null) {
      reader = reader.option("maxOffsetsPerTrigger", o.maxOffsetsPerTrigger());
    }
    return reader.load();
  }

  /** The valid records' parsed columns; invalid ones are counted in {@code rejected} and left out. */
  static Dataset<Row> parsed(Dataset<Row> kafka, LongAccumulator rejected) {
    UserCreatedMapping mapping = UserCreatedMapping.fromBundledSchema();
    UDF1<byte[], Row> parse =
        value -> {
          if (!(mapping.map(value) instanceof UserCreatedMapping.Accepted a)) {
            rejected.add(1);
            return null;
          }
          UserCreatedMapping.Row r = a.row();
          return RowFactory.create(
              r.id(), r.firstName(), r.lastName(), r.gender(), r.address(), r.postCode(), r.email(),
              r.username(), r.dob(), r.registeredDate(), r.phone(), r.picture(), r.nationality(),
              a.fetchedAt(), a.country());
        };
    // Nondeterministic, so the optimizer calls it once per record instead of once per extracted column.
    UserDefinedFunction udf = functions.udf(parse, PARSED).asNondeterministic();
    return kafka
        .select(udf.apply(col("value")).as("u"))
        .where(col("u").isNotNull())
        .select("u.*");
  }

  private static void aggregates(Dataset<Row> users, Options o) throws TimeoutException {
    Dataset<Row> counts =
        users
            .select("id", "fetched_at", "country", "gender")
            .withWatermark("fetched_at", o.watermark())
            // At-least-once upstream may deliver a user twice; within the watermark it is counted once.
            .dropDuplicatesWithinWatermark("id")
            .groupBy(window(col("fetched_at"), "1 minute"), col("country"), col("gender"))
            .count()
            .select(
                to_date(col("window.start")).as("day"),
                col("window.start").as("minute"),
                col("country"),
                col("gender"),
                col("count").as("users"));
    // Update mode emits each changed window with its whole count: an upsert of the recomputed value.
    counts
        .writeStream()
        .queryName("aggregates")
        .outputMode("update")
        .option("checkpointLocation", o.checkpoint() + "/aggregates")
        .trigger(Trigger.ProcessingTime(o.trigger()))
        .foreachBatch(upsertInto(o.keyspace(), o.aggregatesTable()))
        .start();
  }

  private static void parity(Dataset<Row> users, Options o) throws TimeoutException {
    users
        .select(USER_COLUMNS[0], java.util.Arrays.copyOfRange(USER_COLUMNS, 1, USER_COLUMNS.length))
        .writeStream()
        .queryName("created_users")
        .outputMode("append")
        .option("checkpointLocation", o.checkpoint() + "/created_users")
        .trigger(Trigger.ProcessingTime(o.trigger()))
        .foreachBatch(upsertInto(o.keyspace(), o.usersTable()))
        .start();
  }

  /** Cassandra writes are upserts by primary key, so a micro-batch written twice leaves the same rows. */
  private static VoidFunction2<Dataset<Row>, Long> upsertInto(String keyspace, String table) {
    return (batch, batchId) ->
        batch
            .write()
            .format("org.apache.spark.sql.cassandra")
            .option("keyspace", keyspace)
            .option("table", table)
            .mode("append")
            .save();
  }

  /**
   * Prints one line per micro-batch of each query, and the first batch that carried data. Key=value pairs, so
   * people and the tests read the same line.
   */
  static final class ProgressLines extends StreamingQueryListener {
    private final Map<String, LongAccumulator> rejected;
    private final Map<String, Long> rejectedSoFar = new ConcurrentHashMap<>();
    private final Map<String, Boolean> sawData = new ConcurrentHashMap<>();
    private final long jvmStart = ManagementFactory.getRuntimeMXBean().getStartTime();

    ProgressLines(Map<String, LongAccumulator> rejected) {
      this.rejected = rejected;
    }

    @Override
    public void onQueryStarted(QueryStartedEvent event) {}

    @Override
    public void onQueryProgress(QueryProgressEvent event) {
      StreamingQueryProgress p = event.progress();
      String name = p.name();
      LongAccumulator acc = rejected.get(name);
      long total = acc == null ? 0 : acc.value();
      long delta = total - rejectedSoFar.getOrDefault(name, 0L);
      rejectedSoFar.put(name, total);
      String watermark = p.eventTime().getOrDefault("watermark", "-");
      System.out.printf(
          "users-stream batch query=%s batch=%d rows_in=%d rows_per_s=%.1f duration_ms=%d watermark=%s rejected=%d%n",
          name, p.batchId(), p.numInputRows(), p.processedRowsPerSecond(), p.batchDuration(), watermark, delta);
      if (p.numInputRows() > 0 && sawData.putIfAbsent(name, true) == null) {
        System.out.printf(
            "users-stream first_batch query=%s rows_in=%d duration_ms=%d since_jvm_start_ms=%d%n",
            name, p.numInputRows(), p.batchDuration(), System.currentTimeMillis() - jvmStart);
      }
    }

    @Override
    public void onQueryIdle(QueryIdleEvent event) {}

    @Override
    public void onQueryTerminated(QueryTerminatedEvent event) {
      System.out.printf(
          "users-stream terminated id=%s%s%n",
          event.id(), event.exception().isDefined() ? " error=" + event.exception().get() : "");
    }
  }
}
