package dropea.relay.example;

import dropea.relay.v1.Envelope.StatusChange;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.header.Header;

/**
 * Reads dropea-relay's normalised topics with kafka-clients and decodes each event, JSON or
 * protobuf, by the record's content-type header. It prints one line per record, the same as the
 * Go consumer (examples/go):
 *
 * <pre>
 * topic=dropea.order.status.v1 partition=0 offset=0 key=265494 ce_type=com.dropea.order.status_changed id=8b614812-... entity=order entity_id=265494 status=cancelled format=json
 * </pre>
 *
 * <p>What a consumer of these topics has to know (docs/contract.md, docs/asyncapi.yaml):
 *
 * <ul>
 *   <li>Each record is one CloudEvents 1.0 event: the value is the whole envelope and the
 *       content-type header says how it is encoded. Decode by the header, never by guessing.
 *   <li>The key is the order or incidence id; all events of one entity are in one partition, in
 *       the order the relay acknowledged them. Orders and incidences are separate id spaces, so
 *       key your state on (type, subject), not on subject alone.
 *   <li>Delivery is at least once: the same event can arrive more than once, always with the same
 *       id. Deduplicate on id, in the same transaction as the effect of handling the event.
 *   <li>Commit after handling, never before: a crash then re-reads a record rather than skipping
 *       it.
 * </ul>
 *
 * <p>Exit status: 0 after --max records, 1 on a Kafka error, 64 on a bad option or variable. On
 * SIGTERM or SIGINT it commits what it handled, leaves the group and exits as the JVM does on
 * those signals (143, 130).
 */
public final class StatusConsumer {
  private StatusConsumer() {}

  public static void main(String[] args) {
    if (args.length == 1 && (args[0].equals("--help") || args[0].equals("-h"))) {
      System.out.print(Settings.USAGE);
      return;
    }
    Settings settings;
    try {
      settings = Settings.parse(args, System.getenv());
    } catch (Settings.UsageException e) {
      System.err.println("consumer: " + e.getMessage());
      System.err.print(Settings.USAGE);
      System.exit(64);
      return;
    }
    System.exit(run(settings, System.out, System.err));
  }

  static int run(Settings settings, PrintStream out, PrintStream err) {
    long seen = 0;
    Map<TopicPartition, OffsetAndMetadata> handled = new HashMap<>();
    CountDownLatch finished = new CountDownLatch(1);
    Thread hook = null;
    try (KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(settings.consumerProperties())) {
      // SIGTERM (Kubernetes, systemd) and SIGINT (Ctrl-C) run this hook: it wakes the poll below
      // and holds the JVM until the loop has committed what it handled and left the group.
      hook = new Thread(() -> {
        consumer.wakeup();
        try {
          finished.await();
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      });
      Runtime.getRuntime().addShutdownHook(hook);
      try {
        consumer.subscribe(settings.topics());
        while (settings.max() == 0 || seen < settings.max()) {
          ConsumerRecords<String, byte[]> records = consumer.poll(Duration.ofMillis(500));
          for (ConsumerRecord<String, byte[]> record : records) {
            // The rest of the poll stays uncommitted: the next run reads it.
            if (settings.max() != 0 && seen == settings.max()) break;
            handle(record, out, err);
            handled.put(new TopicPartition(record.topic(), record.partition()), new OffsetAndMetadata(record.offset() + 1));
            seen++;
          }
          // Commits the offset after each handled record, synchronously: a record counts as
          // handled only once its offset is in Kafka.
          commit(consumer, handled);
        }
      } catch (WakeupException e) {
        // A signal: stop polling.
      } finally {
        // What was handled before a wakeup interrupted its commit (a wakeup fires once).
        commit(consumer, handled);
      }
      // close() (try-with-resources) leaves the group, so its partitions go to other members at once.
      return 0;
    } catch (KafkaException e) {
      err.println("consumer: " + e);
      return 1;
    } finally {
      err.println(seen + " record(s)");
      out.flush();
      err.flush();
      finished.countDown();
      if (hook != null) {
        try {
          Runtime.getRuntime().removeShutdownHook(hook);
        } catch (IllegalStateException shuttingDown) {
          // A signal started the shutdown: the hook is running and returns now.
        }
      }
    }
  }

  private static void commit(KafkaConsumer<String, byte[]> consumer, Map<TopicPartition, OffsetAndMetadata> handled) {
    if (handled.isEmpty()) return;
    consumer.commitSync(handled);
    handled.clear();
  }

  /** What a real consumer would do with the event; here, print what it would look at. */
  static void handle(ConsumerRecord<String, byte[]> record, PrintStream out, PrintStream err) {
    Header contentType = record.headers().lastHeader("content-type");
    Header ceType = record.headers().lastHeader("ce_type");
    try {
      EnvelopeDecoder.Decoded decoded = EnvelopeDecoder.decode(record.value(), contentType == null ? null : text(contentType));
      StatusChange data = decoded.event().getData();
      out.println(
          "topic=%s partition=%d offset=%d key=%s ce_type=%s id=%s entity=%s entity_id=%d status=%s format=%s"
              .formatted(
                  record.topic(),
                  record.partition(),
                  record.offset(),
                  record.key() == null ? "" : record.key(),
                  ceType == null ? "" : text(ceType),
                  decoded.event().getId(),
                  data.getEntity(),
                  data.getEntityId(),
                  data.getStatus(),
                  decoded.format()));
    } catch (EnvelopeDecoder.DecodeException e) {
      // Not an envelope: report it and go on; a production consumer would park it somewhere.
      err.println("consumer: %s %d/%d: %s".formatted(record.topic(), record.partition(), record.offset(), e.getMessage()));
    }
  }

  private static String text(Header header) {
    return header.value() == null ? "" : new String(header.value(), StandardCharsets.UTF_8);
  }
}
