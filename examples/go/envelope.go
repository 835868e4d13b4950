package main

import (
	"errors"
	"fmt"
	"mime"
	"strings"

	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"

	relayv1 "dropea-relay/examples/go/gen/dropea/relay/v1"
)

// The media types the relay writes (docs/contract.md, "Formats and schemas").
const (
	// The CloudEvents JSON event format (structured content mode).
	jsonMediaType = "application/cloudevents+json"
	// The protobuf binary encoding; application/x-protobuf is its deprecated alias.
	protobufMediaType   = "application/protobuf"
	protobufLegacyMedia = "application/x-protobuf"
	formatJSON          = "json"
	formatProtobuf      = "protobuf"
)

// The message every protobuf record holds, which the proto= parameter names:
// dropea.relay.v1.StatusChangedEvent.
var protobufEnvelopeName = string((&relayv1.StatusChangedEvent{}).ProtoReflect().Descriptor().FullName())

// The JSON envelope is read by protobuf's own JSON parser into the same generated message as a
// protobuf record, so both formats give one type. The parser accepts the relay's JSON as it is
// (entity_id as a number, null for an unset previous_status; see the proto file's comments), and
// DiscardUnknown keeps this consumer working when a later schema adds a member.
var jsonEnvelope = protojson.UnmarshalOptions{DiscardUnknown: true}

// formatOf names the format a record's content-type header says the value is in. A record
// without the header is JSON, as the CloudEvents Kafka binding's structured mode reads it
// (https://github.com/cloudevents/spec/blob/v1.0.2/cloudevents/bindings/kafka-protocol-binding.md).
func formatOf(contentType string, present bool) (string, error) {
	if !present {
		return formatJSON, nil
	}
	// Type and subtype are case-insensitive, parameters follow ";" (RFC 9110, section 8.3.1).
	mediaType, params, err := mime.ParseMediaType(contentType)
	if err != nil {
		return "", fmt.Errorf("content-type %q: %w", contentType, err)
	}
	switch mediaType {
	case jsonMediaType:
		if charset, ok := params["charset"]; ok && !strings.EqualFold(charset, "utf-8") {
			return "", fmt.Errorf("content-type %q: charset is not utf-8", contentType)
		}
		return formatJSON, nil
	case protobufMediaType, protobufLegacyMedia:
		if name, ok := params["proto"]; ok && name != protobufEnvelopeName {
			return "", fmt.Errorf("content-type %q: not a %s", contentType, protobufEnvelopeName)
		}
		return formatProtobuf, nil
	default:
		return "", fmt.Errorf("content-type %q is not an envelope format", contentType)
	}
}

// decodeEnvelope reads a record value in the format its content-type header names. Decode by
// the header, never by what the relay is configured with: after a switch of ENVELOPE_FORMAT a
// topic holds both formats.
func decodeEnvelope(value []byte, contentType string, present bool) (*relayv1.StatusChangedEvent, string, error) {
	format, err := formatOf(contentType, present)
	if err != nil {
		return nil, "", err
	}
	event := &relayv1.StatusChangedEvent{}
	if format == formatJSON {
		err = jsonEnvelope.Unmarshal(value, event)
	} else {
		err = proto.Unmarshal(value, event)
	}
	if err != nil {
		return nil, format, fmt.Errorf("not a %s %s: %w", format, protobufEnvelopeName, err)
	}
	if event.GetData() == nil {
		return nil, format, errors.New("the envelope has no data")
	}
	return event, format, nil
}
