#!/usr/bin/env bash
# Fuzzes a running relay with Schemathesis, driven by the OpenAPI document the relay serves
# (/docs-json, kept equal to docs/openapi.json by test/openapi.e2e-spec.ts): every documented
# operation gets examples, boundary cases and generated requests, and every answer must be no
# server error and exactly what the document says for its status.
#
# Usage: DROPEA_FUZZ_KEY=<key> bash scripts/schemathesis/run.sh <relay-base-url> [schemathesis run options]
#
# DROPEA_FUZZ_KEY is one of the relay's DROPEA_API_KEYS; hooks.py signs the requests with it.
# Extra options go to `schemathesis run` after the defaults below (e.g. `--report har`).
# SCHEMATHESIS_SEED and SCHEMATHESIS_MAX_EXAMPLES change the run; the defaults are what CI runs.
# Exits non-zero on any failure; each one is printed with a curl command that reproduces it.
set -euo pipefail

usage="usage: DROPEA_FUZZ_KEY=<key> bash scripts/schemathesis/run.sh <relay-base-url> [schemathesis run options]"
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
base_url="${1:?$usage}"
shift
base_url="${base_url%/}"
[[ -n "${DROPEA_FUZZ_KEY:-}" ]] || { echo "run.sh: DROPEA_FUZZ_KEY is not set ($usage)" >&2; exit 2; }

# The pinned Schemathesis (and Hypothesis) need Python 3.11+; say so rather than let pip fail.
python="${PYTHON:-python3}"
if ! "$python" -c 'import sys; sys.exit(sys.version_info < (3, 11))' >/dev/null 2>&1; then
  echo "run.sh: Schemathesis needs Python 3.11+; $python is $("$python" --version 2>/dev/null || echo "not found")" >&2
  exit 2
fi
venv="$(bash "$root/scripts/python/venv.sh" "$here/requirements.txt")"

# Schemathesis and Hypothesis keep state between runs (examples that failed, requests to replay
# first, crash files) in the working directory. Kept in a scratch directory instead, a run never
# depends on the one before it and leaves nothing in the caller's tree.
scratch="$(mktemp -d "${TMPDIR:-/tmp}/dropea-relay-schemathesis.XXXXXX")"
trap 'rm -rf "$scratch"' EXIT
export HYPOTHESIS_STORAGE_DIRECTORY="$scratch/hypothesis"
# missing_auth: an operation that only ever answered 401 means the key is not the relay's; a run
# that never got past the signature guard must not pass.
cat >"$scratch/schemathesis.toml" <<EOF
[cache]
enabled = false
directory = "$scratch/cache"

[warnings]
fail-on = ["missing_auth"]
EOF

export SCHEMATHESIS_HOOKS="$here/hooks.py"
# Importing hooks.py would otherwise leave a __pycache__ beside it in the work tree.
export PYTHONDONTWRITEBYTECODE=1

checks=(
  # Required: no 5xx, and every body matches the schema documented for its status and media type.
  not_a_server_error
  response_schema_conformance
  # No status the document does not list for the operation (a new 429 must be documented first).
  status_code_conformance
  # The media type is the documented one (application/json or application/problem+json).
  content_type_conformance
  # Documented response headers are present and well-formed (Retry-After on 503).
  response_headers_conformance
  # Schema-valid bodies are accepted and schema-violating ones refused. The relay's rules that
  # the schemas do not express are exempted one by one in hooks.py (filter_failure).
  positive_data_acceptance
  negative_data_rejection
  # A method a webhook route does not take (GET, PUT, TRACE, ...) is 405 with Allow: POST.
  unsupported_method
  allow_header_conformance
)
# Left out, with --checks all:
# - missing_required_header, ignored_auth: no header is required and no security scheme is
#   declared (the signature is checked by hooks.py's unsigned and wrongly signed requests).
# - use_after_free, ensure_resource_availability, object_level_authorization: there are no
#   resources to create, delete or share.

# shellcheck disable=SC2054 # the commas separate the values of one option, not array elements
options=(
  # Only the checks above, not the default set; comma-separated as the CLI wants them.
  --checks "$(IFS=,; echo "${checks[*]}")"
  # Examples from the document, then boundary and type cases, then generated ones. The stateful
  # phase is left out: there is nothing to create and read back, so its sequences would only
  # repeat single requests at the cost of time.
  --phases examples,coverage,fuzzing
  # One fixed seed and one worker: the same requests in the same order on every run.
  --seed "${SCHEMATHESIS_SEED:-20261122}"
  --workers 1
  # Bounds the fuzzing phase: about 2,700 requests, 30-60 s on two cores.
  --max-examples "${SCHEMATHESIS_MAX_EXAMPLES:-800}"
  # No examples database: nothing a run found is replayed by the next one.
  --generation-database none
  # Above the relay's PUBLISH_TIMEOUT_MS (5 s), after which it answers 503 itself.
  --request-timeout 15
  # A relay that is still starting is waited for, not reported as a failure.
  --wait-for-schema 30
  # Plain text, the same in a terminal, a CI log and a test's captured output.
  --no-color
)

"$venv/bin/schemathesis" --config-file "$scratch/schemathesis.toml" run "$base_url/docs-json" "${options[@]}" "$@"
