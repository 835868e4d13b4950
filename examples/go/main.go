// Command consumer reads dropea-relay's normalised topics with franz-go and decodes each event,
// JSON or protobuf, by the record's content-type header. It prints one line per record:
//
//	topic=dropea.order.status.v1 partition=0 offset=0 key=265494 ce_type=com.dropea.order.status_changed id=8b614812-... entity=order entity_id=265494 status=cancelled format=json
//
// What a consumer of these topics has to know (docs/contract.md, docs/asyncapi.yaml):
//
//   - Each record is one CloudEvents 1.0 event: the value is the whole envelope and the
//     content-type header says how it is encoded. Decode by the header, never by guessing.
//   - The key is the order or incidence id; all events of one entity are in one partition, in
//     the order the relay acknowledged them. Orders and incidences are separate id spaces, so key
//     your state on (type, subject), not on subject alone.
//   - Delivery is at least once: the same event can arrive more than once, always with the same
//     id. Deduplicate on id, in the same transaction as the effect of handling the event.
//   - Commit after handling, never before: a crash then re-reads a record rather than skipping it.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"

	relayv1 "dropea-relay/examples/go/gen/dropea/relay/v1"
)

func main() {
	os.Exit(run(os.Args[1:], environ(), os.Stdout, os.Stderr))
}

// run returns the exit status: 0 after --max records or a signal, 1 on a Kafka error, 64 on a
// bad flag or variable.
func run(args []string, env map[string]string, stdout, stderr io.Writer) int {
	s, err := parseSettings(args, env, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if usage, ok := err.(usageError); ok && usage.shown {
		return 64
	}
	if err != nil {
		fmt.Fprintf(stderr, "consumer: %v\n", err)
		return 64
	}
	opts, err := s.clientOptions()
	if err != nil {
		fmt.Fprintf(stderr, "consumer: %v\n", err)
		return 64
	}
	client, err := kgo.NewClient(opts...)
	if err != nil {
		fmt.Fprintf(stderr, "consumer: %v\n", err)
		return 64
	}
	// SIGTERM (Kubernetes, systemd) and SIGINT (Ctrl-C) end the poll below; what was handled is
	// committed and the group is left before exiting.
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()

	seen, err := consume(ctx, client, s.max, stdout, stderr)
	// Leaves the group, so its partitions go to other members at once.
	client.CloseAllowingRebalance()
	fmt.Fprintf(stderr, "%d record(s)\n", seen)
	if err != nil {
		fmt.Fprintf(stderr, "consumer: %v\n", err)
		return 1
	}
	return 0
}

// consume handles records until max (0: no limit) or until ctx ends, committing each poll's
// records once they are handled.
func consume(ctx context.Context, client *kgo.Client, max int, stdout, stderr io.Writer) (int, error) {
	seen := 0
	for max == 0 || seen < max {
		// At most the records still wanted: the rest stay uncommitted for the next run.
		fetches := client.PollRecords(ctx, max-seen)
		if ctx.Err() != nil || fetches.IsClientClosed() {
			return seen, nil
		}
		var fatal error
		fetches.EachError(func(topic string, partition int32, err error) {
			// The client retries what can be retried; what it reports here can still be a
			// passing state (a topic being created), while an authentication or authorisation
			// failure is final.
			var kafkaErr *kerr.Error
			if errors.As(err, &kafkaErr) && !kafkaErr.Retriable {
				fatal = fmt.Errorf("%s %d: %w", topic, partition, err)
				return
			}
			fmt.Fprintf(stderr, "consumer: %s %d: %v\n", topic, partition, err)
		})
		if fatal != nil {
			client.AllowRebalance()
			return seen, fatal
		}
		var handled []*kgo.Record
		fetches.EachRecord(func(record *kgo.Record) {
			handle(record, stdout, stderr)
			handled = append(handled, record)
		})
		seen += len(handled)
		// Commits the offset after each handled record, synchronously: a record counts as
		// handled only once its offset is in Kafka.
		err := client.CommitRecords(context.Background(), handled...)
		client.AllowRebalance()
		if err != nil {
			return seen, fmt.Errorf("commit: %w", err)
		}
	}
	return seen, nil
}

// handle is what a real consumer would do with the event; here, print what it would look at.
func handle(record *kgo.Record, stdout, stderr io.Writer) {
	var contentType, ceType string
	var hasContentType bool
	for _, header := range record.Headers {
		switch header.Key {
		case "content-type":
			contentType, hasContentType = string(header.Value), true
		case "ce_type":
			ceType = string(header.Value)
		}
	}
	event, format, err := decodeEnvelope(record.Value, contentType, hasContentType)
	if err != nil {
		// Not an envelope: report it and go on; a production consumer would park it somewhere.
		fmt.Fprintf(stderr, "consumer: %s %d/%d: %v\n", record.Topic, record.Partition, record.Offset, err)
		return
	}
	fmt.Fprintln(stdout, line(record, ceType, event, format))
}

// line is the printed form of one record, the same as the Java consumer's.
func line(record *kgo.Record, ceType string, event *relayv1.StatusChangedEvent, format string) string {
	data := event.GetData()
	return fmt.Sprintf("topic=%s partition=%d offset=%d key=%s ce_type=%s id=%s entity=%s entity_id=%d status=%s format=%s",
		record.Topic, record.Partition, record.Offset, record.Key, ceType, event.GetId(), data.GetEntity(), data.GetEntityId(), data.GetStatus(), format)
}
