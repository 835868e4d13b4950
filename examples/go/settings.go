package main

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"

	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/sasl"
	"github.com/twmb/franz-go/pkg/sasl/plain"
	"github.com/twmb/franz-go/pkg/sasl/scram"
)

// settings is what the consumer was asked to do: the relay's own variables (KAFKA_BROKERS,
// KAFKA_SSL, KAFKA_SASL_*, KAFKA_TOPIC_*), a few of its own, and flags, which win over variables.
type settings struct {
	brokers       []string
	topics        []string
	group         string
	fromBeginning bool
	max           int // 0: until SIGTERM or SIGINT
	tls           bool
	caFile        string
	saslMechanism string // "", plain, scram-sha-256 or scram-sha-512
	saslUsername  string
	saslPassword  string
}

// usageError is a command line or a variable the consumer cannot run with (exit 64, EX_USAGE).
// shown: the flag package has printed it already, with the usage.
type usageError struct {
	message string
	shown   bool
}

func (e usageError) Error() string { return e.message }

func usagef(format string, args ...any) error {
	return usageError{message: fmt.Sprintf(format, args...)}
}

// parseSettings reads the variables in env (as os.Environ gives them) and then the flags.
func parseSettings(args []string, env map[string]string, usage io.Writer) (settings, error) {
	get := func(name, fallback string) string {
		if value := strings.TrimSpace(env[name]); value != "" {
			return value
		}
		return fallback
	}
	s := settings{}
	var topics []string
	brokers := get("KAFKA_BROKERS", "127.0.0.1:9092")
	tlsOn := strings.ToLower(get("KAFKA_SSL", "false"))
	passwordFile := get("KAFKA_SASL_PASSWORD_FILE", "")

	flags := flag.NewFlagSet("consumer", flag.ContinueOnError)
	flags.SetOutput(usage)
	flags.StringVar(&brokers, "brokers", brokers, "bootstrap servers, host:port,... (KAFKA_BROKERS)")
	flags.Func("topic", "a topic to read, repeatable (default: KAFKA_TOPIC_ORDERS and KAFKA_TOPIC_INCIDENCES)", func(value string) error {
		topics = append(topics, value)
		return nil
	})
	flags.StringVar(&s.group, "group", get("KAFKA_GROUP_ID", "dropea-relay-example-go"), "the consumer group that commits what was handled (KAFKA_GROUP_ID)")
	flags.BoolVar(&s.fromBeginning, "from-beginning", false, "start at the earliest record where the group has no committed offset (default: the end)")
	flags.Func("max", "exit after this many records (default: until SIGTERM or SIGINT)", func(value string) error {
		n, err := strconv.Atoi(value)
		if err != nil || n < 1 {
			return fmt.Errorf("must be a whole number, 1 or more, got %q", value)
		}
		s.max = n
		return nil
	})
	flags.StringVar(&s.caFile, "ca-file", get("KAFKA_SSL_CA_FILE", ""), "PEM file of the CAs that sign the brokers' certificates; turns TLS on (KAFKA_SSL_CA_FILE)")
	flags.StringVar(&s.saslMechanism, "sasl-mechanism", strings.ToLower(get("KAFKA_SASL_MECHANISM", "")), "plain, scram-sha-256 or scram-sha-512 (KAFKA_SASL_MECHANISM)")
	flags.StringVar(&s.saslUsername, "sasl-username", get("KAFKA_SASL_USERNAME", ""), "SASL user name (KAFKA_SASL_USERNAME)")
	flags.StringVar(&passwordFile, "sasl-password-file", passwordFile, "file holding the SASL password (KAFKA_SASL_PASSWORD_FILE; or KAFKA_SASL_PASSWORD)")
	if err := flags.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return s, err
		}
		return s, usageError{message: err.Error(), shown: true}
	}
	if flags.NArg() > 0 {
		return s, usagef("unexpected argument %q", flags.Arg(0))
	}

	for _, broker := range strings.Split(brokers, ",") {
		if broker = strings.TrimSpace(broker); broker != "" {
			s.brokers = append(s.brokers, broker)
		}
	}
	if len(s.brokers) == 0 {
		return s, usagef("no bootstrap servers: set KAFKA_BROKERS or --brokers")
	}
	if len(topics) == 0 {
		topics = []string{get("KAFKA_TOPIC_ORDERS", "dropea.order.status.v1"), get("KAFKA_TOPIC_INCIDENCES", "dropea.incidence.status.v1")}
	}
	s.topics = topics
	if strings.TrimSpace(s.group) == "" {
		return s, usagef("--group must not be empty")
	}
	switch tlsOn {
	case "true", "1", "yes":
		s.tls = true
	case "false", "0", "no":
	default:
		return s, usagef("KAFKA_SSL must be true or false, got %q", tlsOn)
	}
	s.tls = s.tls || s.caFile != ""

	switch s.saslMechanism {
	case "":
	case "plain", "scram-sha-256", "scram-sha-512":
		// PLAIN sends the password as it is (RFC 4616): never without TLS, as the relay refuses it.
		if s.saslMechanism == "plain" && !s.tls && get("KAFKA_ALLOW_PLAIN_SASL_WITHOUT_TLS", "false") != "true" {
			return s, usagef("SASL plain without TLS would send the password in clear: set KAFKA_SSL=true or --ca-file, or use scram-sha-512")
		}
		if s.saslUsername == "" {
			return s, usagef("SASL %s needs a user name: KAFKA_SASL_USERNAME or --sasl-username", s.saslMechanism)
		}
		s.saslPassword = env["KAFKA_SASL_PASSWORD"]
		if passwordFile != "" {
			password, err := os.ReadFile(passwordFile)
			if err != nil {
				return s, usagef("SASL password file: %v", err)
			}
			// A file written by echo or a Kubernetes Secret may end in a newline; no password does.
			s.saslPassword = strings.TrimRight(string(password), "\r\n")
		}
		if s.saslPassword == "" {
			return s, usagef("SASL %s needs a password: KAFKA_SASL_PASSWORD_FILE, --sasl-password-file or KAFKA_SASL_PASSWORD", s.saslMechanism)
		}
	default:
		return s, usagef("SASL mechanism must be plain, scram-sha-256 or scram-sha-512, got %q", s.saslMechanism)
	}
	return s, nil
}

// clientOptions are the franz-go settings (https://pkg.go.dev/github.com/twmb/franz-go/pkg/kgo)
// for these settings.
func (s settings) clientOptions() ([]kgo.Opt, error) {
	reset := kgo.NewOffset().AtEnd()
	if s.fromBeginning {
		reset = kgo.NewOffset().AtStart()
	}
	opts := []kgo.Opt{
		kgo.SeedBrokers(s.brokers...),
		kgo.ClientID("dropea-relay-go-example"),
		kgo.ConsumerGroup(s.group),
		kgo.ConsumeTopics(s.topics...),
		// Where a group without a committed offset starts.
		kgo.ConsumeResetOffset(reset),
		// Offsets are committed by the loop once records are handled, never ahead of them...
		kgo.DisableAutoCommit(),
		// ...and no rebalance moves a partition away between a poll and that commit.
		kgo.BlockRebalanceOnPoll(),
	}
	if s.tls {
		config := &tls.Config{MinVersion: tls.VersionTLS12}
		if s.caFile != "" {
			pem, err := os.ReadFile(s.caFile)
			if err != nil {
				return nil, usagef("CA file: %v", err)
			}
			pool := x509.NewCertPool()
			if !pool.AppendCertsFromPEM(pem) {
				return nil, usagef("CA file %s holds no PEM certificate", s.caFile)
			}
			config.RootCAs = pool
		}
		// franz-go sets ServerName to each broker's host, so certificates are checked against it.
		opts = append(opts, kgo.DialTLSConfig(config))
	}
	if s.saslMechanism != "" {
		opts = append(opts, kgo.SASL(s.mechanism()))
	}
	return opts, nil
}

func (s settings) mechanism() sasl.Mechanism {
	switch s.saslMechanism {
	case "plain":
		return plain.Auth{User: s.saslUsername, Pass: s.saslPassword}.AsMechanism()
	case "scram-sha-256":
		return scram.Auth{User: s.saslUsername, Pass: s.saslPassword}.AsSha256Mechanism()
	default:
		return scram.Auth{User: s.saslUsername, Pass: s.saslPassword}.AsSha512Mechanism()
	}
}

// environ is os.Environ as a map.
func environ() map[string]string {
	env := map[string]string{}
	for _, pair := range os.Environ() {
		if name, value, ok := strings.Cut(pair, "="); ok {
			env[name] = value
		}
	}
	return env
}
