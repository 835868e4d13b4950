package main

import (
	"strings"
	"testing"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/structpb"

	relayv1 "dropea-relay/examples/go/gen/dropea/relay/v1"
)

// The JSON envelope as the relay writes it (docs/contract.md), with a member this version does
// not know.
const jsonRecord = `{"specversion":"1.0","id":"5c8d3f8e-0000-5000-8000-000000000001","source":"dropea",
"type":"com.dropea.order.status_changed","subject":"265494","time":"2025-05-29T12:14:58Z",
"datacontenttype":"application/json","partitionkey":"265494","region":"es","data":{"entity":"order",
"entity_id":265494,"previous_status":null,"status":"cancelled","occurred_at_local":"2025-05-29T14:14:58",
"utc_offset":"+02:00","received_at":"2026-11-22T10:00:00.123Z","source_payload":{"topic":"order:status_update","order_id":265494}}}`

func protobufRecord(t *testing.T) []byte {
	t.Helper()
	payload, err := structpb.NewStruct(map[string]any{"topic": "order:status_update", "order_id": 265494})
	if err != nil {
		t.Fatal(err)
	}
	value, err := proto.Marshal(&relayv1.StatusChangedEvent{
		Specversion: "1.0", Id: "5c8d3f8e-0000-5000-8000-000000000001", Source: "dropea", Type: "com.dropea.order.status_changed",
		Subject: "265494", Time: "2025-05-29T12:14:58Z", Datacontenttype: "application/json", Partitionkey: "265494",
		Data: &relayv1.StatusChange{
			Entity: "order", EntityId: 265494, Status: "cancelled", OccurredAtLocal: "2025-05-29T14:14:58",
			UtcOffset: "+02:00", ReceivedAt: "2026-11-22T10:00:00.123Z", SourcePayload: payload,
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	return value
}

func TestBothFormatsDecodeToTheSameMessage(t *testing.T) {
	fromJSON, format, err := decodeEnvelope([]byte(jsonRecord), "application/cloudevents+json; charset=utf-8", true)
	if err != nil || format != "json" {
		t.Fatalf("json: %v %q", err, format)
	}
	fromProtobuf, format, err := decodeEnvelope(protobufRecord(t), "application/protobuf; proto=dropea.relay.v1.StatusChangedEvent", true)
	if err != nil || format != "protobuf" {
		t.Fatalf("protobuf: %v %q", err, format)
	}
	if !proto.Equal(fromJSON, fromProtobuf) {
		t.Fatalf("the formats differ:\n%v\n%v", fromJSON, fromProtobuf)
	}
	// null in JSON and an unset optional field in protobuf: no previous status either way.
	if fromJSON.GetData().PreviousStatus != nil || fromJSON.GetData().GetEntityId() != 265494 {
		t.Fatalf("data: %v", fromJSON.GetData())
	}
}

func TestFormatOfContentType(t *testing.T) {
	for _, c := range []struct {
		contentType string
		present     bool
		want        string
	}{
		{"", false, "json"},
		{"application/cloudevents+json", true, "json"},
		{"Application/CloudEvents+JSON; charset=UTF-8", true, "json"},
		{"application/protobuf", true, "protobuf"},
		{`application/x-protobuf; proto="dropea.relay.v1.StatusChangedEvent"`, true, "protobuf"},
	} {
		if got, err := formatOf(c.contentType, c.present); err != nil || got != c.want {
			t.Errorf("%q: got %q, %v; want %q", c.contentType, got, err, c.want)
		}
	}
	for _, contentType := range []string{"", "application/json", "application/cloudevents+json; charset=latin1", "application/protobuf; proto=other.Message", "text/plain"} {
		if got, err := formatOf(contentType, true); err == nil {
			t.Errorf("%q: got %q, want an error", contentType, got)
		}
	}
}

func TestUndecodableValuesAreErrors(t *testing.T) {
	if _, _, err := decodeEnvelope([]byte(`{"not":"an envelope"`), "application/cloudevents+json", true); err == nil || !strings.Contains(err.Error(), "not a json") {
		t.Errorf("truncated JSON: %v", err)
	}
	if _, _, err := decodeEnvelope([]byte(`{"id":"x"}`), "application/cloudevents+json", true); err == nil {
		t.Error("an envelope without data decoded")
	}
	if _, _, err := decodeEnvelope([]byte{0xff, 0xff}, "application/protobuf", true); err == nil {
		t.Error("garbage decoded as protobuf")
	}
}
