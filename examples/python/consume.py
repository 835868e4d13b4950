"""Reads dropea-relay's normalised topics with confluent-kafka (librdkafka) and decodes each event.

    python consume.py [--topic TOPIC]... [--from-beginning] [--group ID] [--max N] [--json]
                      [--descriptor-set FILE] [--ca-file FILE]
                      [--sasl-mechanism M] [--sasl-username U] [--sasl-password-file FILE]

It takes the relay's own environment variables: KAFKA_BROKERS, KAFKA_SSL, KAFKA_SSL_CA_FILE,
KAFKA_SASL_MECHANISM, KAFKA_SASL_USERNAME, KAFKA_SASL_PASSWORD (or KAFKA_SASL_PASSWORD_FILE),
KAFKA_TOPIC_ORDERS and KAFKA_TOPIC_INCIDENCES; an option wins over its variable.
docs/asyncapi.yaml describes the topics, keys, headers and the envelope.

What a consumer of these topics has to know:

- Each record is one CloudEvents 1.0 event: the value is the whole envelope and the
  content-type header says how it is encoded
  (https://github.com/cloudevents/spec/blob/v1.0.2/cloudevents/bindings/kafka-protocol-binding.md):
  JSON by default, or protobuf when the relay runs with ENVELOPE_FORMAT=protobuf. Decode by the
  header, never by guessing, so a consumer keeps working when the relay's format changes.
- The key is the order or incidence id as a decimal string, and the partition is chosen by
  murmur2 of the key, the Java client's rule: all events of one entity are in one partition, in
  the order the relay acknowledged them. Orders and incidences are separate id spaces (order
  265494 and incidence 265494 are different entities), so key on (type, subject), not subject.
- Delivery is at least once: the same event can be in the topic more than once (a webhook
  Dropea retried, a dead letter replayed, a batch re-sent after an outage), always with the same
  `id`. Deduplicate on `id`: record the ids you have handled in the same transaction as the
  effect of handling them (a unique key in your database), and skip an id you have seen.
- Commit after handling, not before: with a group, this consumer stores a record's offset only
  once the record is handled (enable.auto.offset.store=false), so a crash re-reads it rather
  than skipping it. Together with deduplication on `id` that gives effectively-once handling.
"""

import argparse
import json
import os
import signal
import sys
import uuid

from confluent_kafka import Consumer, KafkaException

# The media types the relay writes (docs/asyncapi.yaml): the CloudEvents JSON event format, and
# the binary encoding of dropea.relay.v1.StatusChangedEvent (proto/dropea/relay/v1/envelope.proto).
JSON_MEDIA_TYPE = "application/cloudevents+json"
PROTOBUF_MEDIA_TYPES = ("application/protobuf", "application/x-protobuf")
PROTOBUF_MESSAGE = "dropea.relay.v1.StatusChangedEvent"


def main() -> int:
    args = parse_args()
    decoder = EnvelopeDecoder(args.descriptor_set)
    consumer = Consumer(consumer_config(args))
    stop = {"requested": False}

    def request_stop(_signum, _frame):
        stop["requested"] = True

    signal.signal(signal.SIGINT, request_stop)
    signal.signal(signal.SIGTERM, request_stop)

    consumer.subscribe(args.topic)
    seen = 0
    try:
        while not stop["requested"] and (args.max is None or seen < args.max):
            message = consumer.poll(0.5)
            if message is None:
                continue
            if message.error() is not None:
                error = message.error()
                if error.fatal():
                    raise KafkaException(error)
                # Retriable (a broker away, a topic not there yet): librdkafka keeps trying.
                print(f"consume.py: {error}", file=sys.stderr)
                continue
            handle(message, decoder, args.json)
            if args.group is not None:
                consumer.store_offsets(message=message)
            seen += 1
    finally:
        # Leaves the group at once and, with --group, commits the stored offsets.
        consumer.close()
    print(f"{seen} record(s)", file=sys.stderr)
    return 0


def parse_args(argv=None, env=None) -> argparse.Namespace:
    """The command line (sys.argv without argv) over the environment (os.environ without env)."""
    env = os.environ if env is None else env
    parser = argparse.ArgumentParser(description="Reads dropea-relay's normalised topics and decodes each event.")
    parser.add_argument(
        "--topic",
        action="append",
        help="a topic to read; repeat for more (default: KAFKA_TOPIC_ORDERS and KAFKA_TOPIC_INCIDENCES)",
    )
    parser.add_argument("--from-beginning", action="store_true", help="start at the earliest record, not at the end")
    parser.add_argument("--group", help="a consumer group to join and commit to (default: a throwaway one, nothing committed)")
    parser.add_argument("--max", type=positive, help="exit after this many records")
    parser.add_argument("--json", action="store_true", help="one JSON object per line")
    parser.add_argument(
        "--descriptor-set",
        help="the envelope's schema as a FileDescriptorSet, to decode protobuf records "
        "(make it with: npx buf build proto --as-file-descriptor-set -o envelope.binpb)",
    )
    parser.add_argument(
        "--ca-file",
        default=env.get("KAFKA_SSL_CA_FILE") or None,
        help="PEM file of the CAs that sign the brokers' certificates; turns TLS on (default: KAFKA_SSL_CA_FILE)",
    )
    parser.add_argument(
        "--sasl-mechanism",
        type=str.lower,
        choices=("plain", "scram-sha-256", "scram-sha-512"),
        default=(env.get("KAFKA_SASL_MECHANISM") or "").lower() or None,
        help="SASL mechanism (default: KAFKA_SASL_MECHANISM)",
    )
    parser.add_argument("--sasl-username", default=env.get("KAFKA_SASL_USERNAME") or None, help="SASL user name (default: KAFKA_SASL_USERNAME)")
    parser.add_argument(
        "--sasl-password-file",
        default=env.get("KAFKA_SASL_PASSWORD_FILE") or None,
        help="file holding the SASL password (default: KAFKA_SASL_PASSWORD_FILE, else KAFKA_SASL_PASSWORD)",
    )
    args = parser.parse_args(argv)
    if not args.topic:
        args.topic = [
            env.get("KAFKA_TOPIC_ORDERS") or "dropea.order.status.v1",
            env.get("KAFKA_TOPIC_INCIDENCES") or "dropea.incidence.status.v1",
        ]

    ssl = (env.get("KAFKA_SSL") or "false").lower()
    if ssl not in ("true", "1", "yes", "false", "0", "no"):
        parser.error(f"KAFKA_SSL must be true or false, got {ssl!r}")
    args.ssl = ssl in ("true", "1", "yes") or args.ca_file is not None
    args.sasl_password = None
    if args.sasl_mechanism is not None:
        # PLAIN sends the password as it is (RFC 4616): never without TLS, as the relay refuses it.
        if args.sasl_mechanism == "plain" and not args.ssl and env.get("KAFKA_ALLOW_PLAIN_SASL_WITHOUT_TLS") != "true":
            parser.error("SASL plain without TLS would send the password in clear: set KAFKA_SSL=true or --ca-file, or use scram-sha-512")
        if not args.sasl_username:
            parser.error(f"SASL {args.sasl_mechanism} needs a user name: KAFKA_SASL_USERNAME or --sasl-username")
        args.sasl_password = env.get("KAFKA_SASL_PASSWORD") or None
        if args.sasl_password_file is not None:
            try:
                with open(args.sasl_password_file, encoding="utf-8") as file:
                    # A file written by echo or a Kubernetes Secret may end in a newline; no password does.
                    args.sasl_password = file.read().rstrip("\r\n")
            except OSError as error:
                parser.error(f"SASL password file: {error}")
        if not args.sasl_password:
            parser.error(f"SASL {args.sasl_mechanism} needs a password: KAFKA_SASL_PASSWORD_FILE, --sasl-password-file or KAFKA_SASL_PASSWORD")
    return args


def positive(value: str) -> int:
    if not value.isdigit() or int(value) < 1:
        raise argparse.ArgumentTypeError(f"must be a whole number, 1 or more, got {value!r}")
    return int(value)


def consumer_config(args: argparse.Namespace, env=None) -> dict:
    """librdkafka settings (https://github.com/confluentinc/librdkafka/blob/master/CONFIGURATION.md) from the relay's variables."""
    env = os.environ if env is None else env
    config = {
        "bootstrap.servers": env.get("KAFKA_BROKERS") or "127.0.0.1:9092",
        "client.id": "dropea-relay-python-example",
        "group.id": args.group or f"dropea-relay-python-example-{uuid.uuid4()}",
        # Where a group without a committed offset starts.
        "auto.offset.reset": "earliest" if args.from_beginning else "latest",
        # A throwaway group commits nothing; a named one commits only what was handled (see above).
        "enable.auto.commit": args.group is not None,
        "enable.auto.offset.store": False,
    }
    if args.sasl_mechanism is not None:
        config["security.protocol"] = "SASL_SSL" if args.ssl else "SASL_PLAINTEXT"
        config["sasl.mechanism"] = args.sasl_mechanism.upper()  # PLAIN, SCRAM-SHA-256, SCRAM-SHA-512
        config["sasl.username"] = args.sasl_username
        config["sasl.password"] = args.sasl_password
    elif args.ssl:
        config["security.protocol"] = "SSL"
    if args.ca_file is not None:
        # Instead of the system's CAs (librdkafka's default, ssl.ca.location unset).
        config["ssl.ca.location"] = args.ca_file
    return config


def handle(message, decoder, as_json: bool) -> None:
    """What a real consumer would do with the event; here, print what it would look at."""
    headers = {name: (value or b"").decode("utf-8") for name, value in (message.headers() or [])}
    key = message.key().decode("utf-8") if message.key() is not None else None
    at = {"topic": message.topic(), "partition": message.partition(), "offset": message.offset(), "key": key}
    try:
        event = decoder.decode(message.value(), headers.get("content-type"))
    except ValueError as error:
        # Not an envelope: report it and go on; a production consumer would park it somewhere.
        print(f"consume.py: {at['topic']} {at['partition']}/{at['offset']}: {error}", file=sys.stderr)
        return
    data = event["data"]
    fields = {
        "id": event["id"],
        "type": event["type"],
        "subject": event["subject"],
        "time": event["time"],
        "entity": data["entity"],
        "entity_id": data["entity_id"],
        "previous_status": data["previous_status"],
        "status": data["status"],
        "traceparent": headers.get("traceparent"),
    }
    if as_json:
        print(json.dumps({**at, **fields}), flush=True)
    else:
        print(
            f"{at['topic']} {at['partition']}/{at['offset']} key {key}: {data['entity']} {data['entity_id']} "
            f"{data['previous_status']} -> {data['status']} at {event['time']}  id {event['id']}",
            flush=True,
        )


class EnvelopeDecoder:
    """The envelope as a dict shaped like the JSON format, whichever format the record is in."""

    def __init__(self, descriptor_set_path):
        self.envelope_class = None
        if descriptor_set_path is not None:
            # Imported only here: a consumer of JSON records needs no protobuf runtime.
            from google.protobuf import descriptor_pb2, descriptor_pool, message_factory

            with open(descriptor_set_path, "rb") as file:
                files = descriptor_pb2.FileDescriptorSet.FromString(file.read())
            pool = descriptor_pool.DescriptorPool()
            for proto in files.file:  # buf writes dependencies first
                pool.Add(proto)
            self.envelope_class = message_factory.GetMessageClass(pool.FindMessageTypeByName(PROTOBUF_MESSAGE))

    def decode(self, value, content_type):
        if value is None:
            raise ValueError("the record has no value")
        media_type, parameters = parse_content_type(content_type)
        if media_type == JSON_MEDIA_TYPE:
            return json.loads(value)
        if media_type in PROTOBUF_MEDIA_TYPES and parameters.get("proto", PROTOBUF_MESSAGE) == PROTOBUF_MESSAGE:
            if self.envelope_class is None:
                raise ValueError("a protobuf envelope: pass --descriptor-set to decode it")
            return self.from_protobuf(self.envelope_class.FromString(value))
        raise ValueError(f"cannot decode an envelope of content-type {content_type}")

    @staticmethod
    def from_protobuf(event):
        """
        The dict the JSON format gives, field by field: proto3's canonical JSON mapping would
        differ (int64 as a string, an unset previous_status left out). One difference remains:
        a Struct holds numbers as doubles, so source_payload's ids come back as floats.
        """
        from google.protobuf.json_format import MessageToDict

        data = event.data
        return {
            "specversion": event.specversion,
            "id": event.id,
            "source": event.source,
            "type": event.type,
            "subject": event.subject,
            "time": event.time,
            "datacontenttype": event.datacontenttype,
            "partitionkey": event.partitionkey,
            "data": {
                "entity": data.entity,
                "entity_id": data.entity_id,
                "previous_status": data.previous_status if data.HasField("previous_status") else None,
                "status": data.status,
                "occurred_at_local": data.occurred_at_local,
                "utc_offset": data.utc_offset,
                "received_at": data.received_at,
                "source_payload": MessageToDict(data.source_payload),
            },
        }


def parse_content_type(content_type):
    """Media type (lower case) and parameters of a content-type header; JSON when it is absent."""
    if content_type is None:
        return JSON_MEDIA_TYPE, {}
    media_type, *parameters = [part.strip() for part in content_type.split(";")]
    pairs = (parameter.split("=", 1) for parameter in parameters if "=" in parameter)
    return media_type.lower(), {name.strip().lower(): value.strip().strip('"') for name, value in pairs}


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KafkaException as error:
        print(f"consume.py: {error}", file=sys.stderr)
        sys.exit(1)
