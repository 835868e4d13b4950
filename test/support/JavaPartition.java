import org.apache.kafka.common.utils.Utils;
import java.nio.charset.StandardCharsets;

/**
 * Prints, for each key, the partition the Java client's default partitioner picks for a keyed
 * record: toPositive(murmur2(key bytes)) % partitions. Run with Kafka's own jars on the class path,
 * so the relay's partitions are checked against Kafka's implementation, not a copy of it.
 */
public class JavaPartition {
  public static void main(String[] args) {
    int partitions = Integer.parseInt(args[0]);
    for (int i = 1; i < args.length; i++) {
      byte[] key = args[i].getBytes(StandardCharsets.UTF_8);
      System.out.println(args[i] + " " + Utils.toPositive(Utils.murmur2(key)) % partitions);
    }
  }
}
