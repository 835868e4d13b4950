"""consume.py's settings: options over the relay's variables, and the librdkafka settings they make.

    python -m unittest discover -s examples/python    (with the environment of requirements.txt)
"""

import contextlib
import io
import os
import tempfile
import unittest

import consume


def settings(argv, env):
    args = consume.parse_args(argv, env)
    return consume.consumer_config(args, env)


def refusal(argv, env) -> str:
    """What argparse prints when it refuses the command line (it exits 2)."""
    stderr = io.StringIO()
    with contextlib.redirect_stderr(stderr), refused():
        consume.parse_args(argv, env)
    return stderr.getvalue()


@contextlib.contextmanager
def refused():
    try:
        yield
    except SystemExit as exit_:
        if exit_.code != 2:
            raise
    else:
        raise AssertionError("the command line was accepted")


class SettingsTest(unittest.TestCase):
    def test_plaintext_by_default(self):
        config = settings([], {})
        self.assertEqual(config["bootstrap.servers"], "127.0.0.1:9092")
        self.assertNotIn("security.protocol", config)
        self.assertNotIn("ssl.ca.location", config)

    def test_the_relays_variables(self):
        env = {
            "KAFKA_BROKERS": "a:9093",
            "KAFKA_SSL": "true",
            "KAFKA_SSL_CA_FILE": "/etc/kafka/ca.crt",
            "KAFKA_SASL_MECHANISM": "SCRAM-SHA-512",
            "KAFKA_SASL_USERNAME": "relay",
            "KAFKA_SASL_PASSWORD": "secret",
        }
        config = settings([], env)
        self.assertEqual(
            {key: config[key] for key in ("bootstrap.servers", "security.protocol", "ssl.ca.location", "sasl.mechanism", "sasl.username", "sasl.password")},
            {
                "bootstrap.servers": "a:9093",
                "security.protocol": "SASL_SSL",
                "ssl.ca.location": "/etc/kafka/ca.crt",
                "sasl.mechanism": "SCRAM-SHA-512",
                "sasl.username": "relay",
                "sasl.password": "secret",
            },
        )

    def test_options_win_over_variables_and_a_password_file_loses_its_newline(self):
        with tempfile.TemporaryDirectory() as directory:
            password_file = os.path.join(directory, "password")
            with open(password_file, "w", encoding="utf-8") as file:
                file.write("from-file\n")
            config = settings(
                ["--ca-file", "/ca.pem", "--sasl-mechanism", "plain", "--sasl-username", "team", "--sasl-password-file", password_file],
                {"KAFKA_SSL_CA_FILE": "/other.pem", "KAFKA_SASL_USERNAME": "other", "KAFKA_SASL_PASSWORD": "from-env"},
            )
        # A CA file turns TLS on, so PLAIN is allowed.
        self.assertEqual(config["security.protocol"], "SASL_SSL")
        self.assertEqual(config["ssl.ca.location"], "/ca.pem")
        self.assertEqual((config["sasl.mechanism"], config["sasl.username"], config["sasl.password"]), ("PLAIN", "team", "from-file"))

    def test_a_ca_file_alone_is_tls(self):
        self.assertEqual(settings(["--ca-file", "/ca.pem"], {})["security.protocol"], "SSL")

    def test_scram_without_tls(self):
        config = settings([], {"KAFKA_SASL_MECHANISM": "scram-sha-256", "KAFKA_SASL_USERNAME": "u", "KAFKA_SASL_PASSWORD": "p"})
        self.assertEqual((config["security.protocol"], config["sasl.mechanism"]), ("SASL_PLAINTEXT", "SCRAM-SHA-256"))

    def test_refusals(self):
        cases = [
            ([], {"KAFKA_SASL_MECHANISM": "plain", "KAFKA_SASL_USERNAME": "u", "KAFKA_SASL_PASSWORD": "p"}, "in clear"),
            ([], {"KAFKA_SASL_MECHANISM": "scram-sha-512", "KAFKA_SASL_PASSWORD": "p"}, "user name"),
            ([], {"KAFKA_SASL_MECHANISM": "scram-sha-512", "KAFKA_SASL_USERNAME": "u"}, "password"),
            (["--sasl-mechanism", "gssapi"], {}, "invalid choice"),
            (["--sasl-mechanism", "scram-sha-512", "--sasl-username", "u", "--sasl-password-file", "/no/such/file"], {}, "password file"),
            ([], {"KAFKA_SSL": "maybe"}, "KAFKA_SSL"),
            (["--max", "0"], {}, "--max"),
        ]
        for argv, env, message in cases:
            with self.subTest(argv=argv, env=env):
                self.assertIn(message, refusal(argv, env))

    def test_plain_without_tls_when_the_operator_allows_it(self):
        env = {"KAFKA_SASL_MECHANISM": "plain", "KAFKA_SASL_USERNAME": "u", "KAFKA_SASL_PASSWORD": "p", "KAFKA_ALLOW_PLAIN_SASL_WITHOUT_TLS": "true"}
        self.assertEqual(settings([], env)["security.protocol"], "SASL_PLAINTEXT")


if __name__ == "__main__":
    unittest.main()
