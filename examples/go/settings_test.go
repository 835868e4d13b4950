package main

import (
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func TestSettingsFromTheRelaysVariables(t *testing.T) {
	s, err := parseSettings(nil, map[string]string{
		"KAFKA_BROKERS": "a:9093, b:9093", "KAFKA_TOPIC_ORDERS": "o.v1", "KAFKA_TOPIC_INCIDENCES": "i.v1",
		"KAFKA_SSL": "true", "KAFKA_SASL_MECHANISM": "SCRAM-SHA-512", "KAFKA_SASL_USERNAME": "relay", "KAFKA_SASL_PASSWORD": "secret",
	}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	want := settings{brokers: []string{"a:9093", "b:9093"}, topics: []string{"o.v1", "i.v1"}, group: "dropea-relay-example-go", tls: true,
		saslMechanism: "scram-sha-512", saslUsername: "relay", saslPassword: "secret"}
	if !reflect.DeepEqual(s, want) {
		t.Fatalf("got %+v\nwant %+v", s, want)
	}
}

func TestFlagsWinOverVariables(t *testing.T) {
	dir := t.TempDir()
	passwordFile := filepath.Join(dir, "password")
	if err := os.WriteFile(passwordFile, []byte("from-file\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	s, err := parseSettings([]string{"--brokers", "c:9094", "--topic", "x", "--topic", "y", "--group", "team", "--from-beginning", "--max", "2",
		"--ca-file", "/ca.pem", "--sasl-mechanism", "plain", "--sasl-username", "u", "--sasl-password-file", passwordFile},
		map[string]string{"KAFKA_BROKERS": "a:1", "KAFKA_GROUP_ID": "other", "KAFKA_SASL_PASSWORD": "from-env"}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	want := settings{brokers: []string{"c:9094"}, topics: []string{"x", "y"}, group: "team", fromBeginning: true, max: 2, tls: true, caFile: "/ca.pem",
		saslMechanism: "plain", saslUsername: "u", saslPassword: "from-file"}
	if !reflect.DeepEqual(s, want) {
		t.Fatalf("got %+v\nwant %+v", s, want)
	}
}

func TestRefusedSettings(t *testing.T) {
	for _, c := range []struct {
		args []string
		env  map[string]string
		want string
	}{
		{[]string{"--max", "0"}, nil, "-max"},
		{[]string{"--max", "-1"}, nil, "1 or more"},
		{[]string{"--group", " "}, nil, "--group"},
		{[]string{"extra"}, nil, "unexpected argument"},
		{nil, map[string]string{"KAFKA_SSL": "maybe"}, "KAFKA_SSL"},
		{nil, map[string]string{"KAFKA_SASL_MECHANISM": "gssapi"}, "SASL mechanism"},
		{nil, map[string]string{"KAFKA_SASL_MECHANISM": "plain", "KAFKA_SASL_USERNAME": "u", "KAFKA_SASL_PASSWORD": "p"}, "in clear"},
		{nil, map[string]string{"KAFKA_SASL_MECHANISM": "scram-sha-256", "KAFKA_SASL_PASSWORD": "p"}, "user name"},
		{nil, map[string]string{"KAFKA_SASL_MECHANISM": "scram-sha-256", "KAFKA_SASL_USERNAME": "u"}, "password"},
	} {
		_, err := parseSettings(c.args, c.env, io.Discard)
		if _, usage := err.(usageError); !usage || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%v %v: got %v, want a usage error naming %q", c.args, c.env, err, c.want)
		}
	}
}

func TestCAFileMustHoldACertificate(t *testing.T) {
	caFile := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(caFile, []byte("not a certificate"), 0o600); err != nil {
		t.Fatal(err)
	}
	s, err := parseSettings([]string{"--ca-file", caFile}, nil, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.clientOptions(); err == nil || !strings.Contains(err.Error(), "no PEM certificate") {
		t.Fatalf("got %v", err)
	}
}
