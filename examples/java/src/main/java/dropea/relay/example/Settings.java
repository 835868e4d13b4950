package dropea.relay.example;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;

/**
 * What the consumer was asked to do: the relay's own variables (KAFKA_BROKERS, KAFKA_SSL,
 * KAFKA_SASL_*, KAFKA_TOPIC_*), a few of its own, and flags, which win over variables. The Go
 * consumer (examples/go/settings.go) takes the same ones.
 */
record Settings(
    List<String> brokers,
    List<String> topics,
    String group,
    boolean fromBeginning,
    long max,
    boolean tls,
    String caFile,
    String saslMechanism,
    String saslUsername,
    String saslPassword) {

  static final String USAGE =
      """
      usage: java -jar dropea-relay-consumer.jar [options]
        --brokers LIST            bootstrap servers, host:port,... (KAFKA_BROKERS; default 127.0.0.1:9092)
        --topic T                 a topic to read, repeatable (default: KAFKA_TOPIC_ORDERS and KAFKA_TOPIC_INCIDENCES)
        --group ID                the consumer group that commits what was handled (KAFKA_GROUP_ID; default dropea-relay-example-java)
        --from-beginning          start at the earliest record where the group has no committed offset (default: the end)
        --max N                   exit after N records (default: until SIGTERM or SIGINT)
        --ca-file FILE            PEM file of the CAs that sign the brokers' certificates; turns TLS on (KAFKA_SSL_CA_FILE)
        --sasl-mechanism M        plain, scram-sha-256 or scram-sha-512 (KAFKA_SASL_MECHANISM)
        --sasl-username U         SASL user name (KAFKA_SASL_USERNAME)
        --sasl-password-file F    file holding the SASL password (KAFKA_SASL_PASSWORD_FILE; or KAFKA_SASL_PASSWORD)
      KAFKA_SSL=true turns TLS on with the JVM's own trusted CAs.
      """;

  /** A command line or a variable the consumer cannot run with (exit 64, EX_USAGE). */
  static final class UsageException extends Exception {
    UsageException(String message) {
      super(message);
    }
  }

  static Settings parse(String[] args, Map<String, String> env) throws UsageException {
    String brokers = get(env, "KAFKA_BROKERS", "127.0.0.1:9092");
    List<String> topics = new ArrayList<>();
    String group = get(env, "KAFKA_GROUP_ID", "dropea-relay-example-java");
    boolean fromBeginning = false;
    long max = 0;
    String caFile = get(env, "KAFKA_SSL_CA_FILE", "");
    String mechanism = get(env, "KAFKA_SASL_MECHANISM", "");
    String username = get(env, "KAFKA_SASL_USERNAME", "");
    String passwordFile = get(env, "KAFKA_SASL_PASSWORD_FILE", "");

    for (int i = 0; i < args.length; i++) {
      String flag = args[i];
      switch (flag) {
        case "--from-beginning" -> fromBeginning = true;
        case "--brokers", "--topic", "--group", "--max", "--ca-file", "--sasl-mechanism", "--sasl-username", "--sasl-password-file" -> {
          if (i + 1 >= args.length) throw new UsageException(flag + " needs a value");
          String value = args[++i];
          switch (flag) {
            case "--brokers" -> brokers = value;
            case "--topic" -> topics.add(value);
            case "--group" -> group = value;
            case "--max" -> max = positive(value);
            case "--ca-file" -> caFile = value;
            case "--sasl-mechanism" -> mechanism = value;
            case "--sasl-username" -> username = value;
            default -> passwordFile = value;
          }
        }
        default -> throw new UsageException((flag.startsWith("-") ? "unknown option " : "unexpected argument ") + flag);
      }
    }

    List<String> brokerList = Arrays.stream(brokers.split(",")).map(String::trim).filter(b -> !b.isEmpty()).toList();
    if (brokerList.isEmpty()) throw new UsageException("no bootstrap servers: set KAFKA_BROKERS or --brokers");
    if (topics.isEmpty()) {
      topics = List.of(get(env, "KAFKA_TOPIC_ORDERS", "dropea.order.status.v1"), get(env, "KAFKA_TOPIC_INCIDENCES", "dropea.incidence.status.v1"));
    }
    if (group.isBlank()) throw new UsageException("--group must not be empty");
    boolean tls =
        switch (get(env, "KAFKA_SSL", "false").toLowerCase(Locale.ROOT)) {
          case "true", "1", "yes" -> true;
          case "false", "0", "no" -> false;
          default -> throw new UsageException("KAFKA_SSL must be true or false, got " + env.get("KAFKA_SSL"));
        };
    tls = tls || !caFile.isEmpty();

    mechanism = mechanism.toLowerCase(Locale.ROOT);
    String password = "";
    switch (mechanism) {
      case "" -> {}
      case "plain", "scram-sha-256", "scram-sha-512" -> {
        // PLAIN sends the password as it is (RFC 4616): never without TLS, as the relay refuses it.
        if (mechanism.equals("plain") && !tls && !get(env, "KAFKA_ALLOW_PLAIN_SASL_WITHOUT_TLS", "false").equals("true")) {
          throw new UsageException("SASL plain without TLS would send the password in clear: set KAFKA_SSL=true or --ca-file, or use scram-sha-512");
        }
        if (username.isEmpty()) throw new UsageException("SASL " + mechanism + " needs a user name: KAFKA_SASL_USERNAME or --sasl-username");
        password = env.getOrDefault("KAFKA_SASL_PASSWORD", "");
        if (!passwordFile.isEmpty()) {
          try {
            // A file written by echo or a Kubernetes Secret may end in a newline; no password does.
            password = Files.readString(Path.of(passwordFile), StandardCharsets.UTF_8).replaceAll("[\r\n]+$", "");
          } catch (IOException e) {
            throw new UsageException("SASL password file: " + e);
          }
        }
        if (password.isEmpty()) {
          throw new UsageException("SASL " + mechanism + " needs a password: KAFKA_SASL_PASSWORD_FILE, --sasl-password-file or KAFKA_SASL_PASSWORD");
        }
      }
      default -> throw new UsageException("SASL mechanism must be plain, scram-sha-256 or scram-sha-512, got " + mechanism);
    }
    return new Settings(brokerList, List.copyOf(topics), group, fromBeginning, max, tls, caFile, mechanism, username, password);
  }

  /** The kafka-clients settings (https://kafka.apache.org/documentation/#consumerconfigs) for these settings. */
  Properties consumerProperties() {
    Properties p = new Properties();
    p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, String.join(",", brokers));
    p.put(ConsumerConfig.CLIENT_ID_CONFIG, "dropea-relay-java-example");
    p.put(ConsumerConfig.GROUP_ID_CONFIG, group);
    // Offsets are committed by the loop once records are handled, never ahead of them.
    p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
    // Where a group without a committed offset starts.
    p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, fromBeginning ? "earliest" : "latest");
    p.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
    p.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
    if (!saslMechanism.isEmpty()) {
      p.put("security.protocol", tls ? "SASL_SSL" : "SASL_PLAINTEXT");
      p.put("sasl.mechanism", saslMechanism.toUpperCase(Locale.ROOT));
      String module =
          saslMechanism.equals("plain")
              ? "org.apache.kafka.common.security.plain.PlainLoginModule"
              : "org.apache.kafka.common.security.scram.ScramLoginModule";
      p.put("sasl.jaas.config", module + " required username=\"" + jaasQuoted(saslUsername) + "\" password=\"" + jaasQuoted(saslPassword) + "\";");
    } else if (tls) {
      p.put("security.protocol", "SSL");
    }
    if (!caFile.isEmpty()) {
      // A PEM file as the trust store, without keytool (KIP-651).
      p.put("ssl.truststore.type", "PEM");
      p.put("ssl.truststore.location", caFile);
    }
    return p;
  }

  /** Never the password. */
  @Override
  public String toString() {
    return "Settings[brokers=%s, topics=%s, group=%s, fromBeginning=%s, max=%d, tls=%s, caFile=%s, saslMechanism=%s, saslUsername=%s]"
        .formatted(brokers, topics, group, fromBeginning, max, tls, caFile, saslMechanism, saslUsername);
  }

  /** A value inside the double quotes of a JAAS option: backslash and quote escaped. */
  private static String jaasQuoted(String value) {
    return value.replace("\\", "\\\\").replace("\"", "\\\"");
  }

  private static String get(Map<String, String> env, String name, String fallback) {
    String value = env.get(name);
    return value == null || value.isBlank() ? fallback : value.trim();
  }

  private static long positive(String value) throws UsageException {
    try {
      long n = Long.parseLong(value);
      if (n >= 1) return n;
    } catch (NumberFormatException e) {
      // reported below
    }
    throw new UsageException("--max must be a whole number, 1 or more, got " + value);
  }
}
