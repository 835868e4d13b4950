"""Schemathesis hooks for fuzzing the relay (loaded by run.sh through SCHEMATHESIS_HOOKS).

Signing. The relay checks `X-Dropea-Hmac-Sha256` against the raw body before it parses
anything, so an unsigned generated body would only ever meet the signature guard (401) and never
reach validation, the dead-letter topic or publishing. Each webhook request is signed here with
the key in DROPEA_FUZZ_KEY, over the exact bytes the transport is about to send. A few are left
unsigned or signed with another key on purpose, so the 401 answers are fuzzed as well; which
ones is decided by a digest of the request, not by a random draw, so one seed sends the same
requests with the same headers on every run.

Timestamps. The OpenAPI document can only say that `updated_at` is a string, so nearly every
generated one is refused (422) and almost nothing would be published. Most generated bodies get
a real timestamp instead, in each form the relay documents, so the publishing path and the
202/200 answers are fuzzed too; the rest keep the generated string, which fuzzes its validation.

Known gaps. Where the relay refuses on purpose what the OpenAPI request schemas cannot or do not
express, the matching failure of the data-acceptance checks is dropped (`filter_failure`), each
rule as narrow as the gap, and counted on stderr at the end of the run so it stays visible.
"""

from __future__ import annotations

import atexit
import base64
import hashlib
import hmac
import os
import re
import sys
from collections import Counter
from datetime import datetime
from typing import Any

import requests
import schemathesis
from hypothesis import strategies as st

SIGNATURE_HEADER = "X-Dropea-Hmac-Sha256"

KEY = os.environ.get("DROPEA_FUZZ_KEY", "")
if not KEY:
    raise RuntimeError("DROPEA_FUZZ_KEY must hold the relay's API key (one of its DROPEA_API_KEYS)")

# Out of every 16 webhook requests (by digest): one without a signature, one signed with a key
# the relay does not know; the rest carry a valid one, in each encoding the relay accepts.
UNSIGNED, WRONG_KEY = 0, 1
BUCKETS = 16

KNOWN_TOPICS = ("order:status_update", "incidence:status_update")


# --- signing -------------------------------------------------------------------------------


def wire_body(case: Any) -> bytes:
    """The body bytes `requests` will put on the wire for this case (b"" when there is none)."""
    kwargs = case.as_transport_kwargs(base_url="http://relay.invalid")
    prepared = requests.Request(
        method=kwargs["method"],
        url=kwargs["url"],
        headers=kwargs.get("headers"),
        data=kwargs.get("data"),
        json=kwargs.get("json"),
        files=kwargs.get("files"),
    ).prepare()
    body = prepared.body
    if body is None:
        return b""
    return body if isinstance(body, bytes) else body.encode("utf-8")


def signature(body: bytes, key: str, style: int) -> str:
    digest = hmac.new(key.encode("utf-8"), body, hashlib.sha256).digest()
    if style == 0:
        return digest.hex()
    if style == 1:
        return base64.b64encode(digest).decode("ascii")
    if style == 2:
        return base64.urlsafe_b64encode(digest).decode("ascii").rstrip("=")
    return "sha256=" + digest.hex()


@schemathesis.hook
def before_call(context: Any, case: Any, kwargs: dict[str, Any]) -> None:
    if not case.path.startswith("/webhooks/"):
        return
    body = wire_body(case)
    choice = hashlib.sha256(case.method.encode("ascii") + case.path.encode("utf-8") + body).digest()
    bucket, style = choice[0] % BUCKETS, choice[1] % 4
    headers = dict(case.headers or {})
    # A generated value for the header is a random string, never a signature of this body.
    for name in [name for name in headers if name.lower() == SIGNATURE_HEADER.lower()]:
        del headers[name]
    if bucket == WRONG_KEY:
        headers[SIGNATURE_HEADER] = signature(body, "not-" + KEY, style)
    elif bucket != UNSIGNED:
        headers[SIGNATURE_HEADER] = signature(body, KEY, style)
    case.headers = headers


# --- timestamps ----------------------------------------------------------------------------

# Offsets as ISO 8601 writes them, from the furthest west to the furthest east in use.
OFFSETS = st.sampled_from(["", "Z", "+00:00", "+01:00", "+02:00", "-03:30", "+05:45", "-12:00", "+14:00"])


@st.composite
def timestamps(draw: Any) -> str:
    """`updated_at` in the forms docs/contract.md accepts: Madrid wall clock, or ISO 8601."""
    # From 1901 (Madrid's first standard time in tzdata) to well past the 2038 rollover, so DST
    # gaps and overlaps, leap days and far dates all come up.
    moment = draw(st.datetimes(min_value=datetime(1901, 1, 1), max_value=datetime(2199, 12, 31, 23, 59, 59)))
    if draw(st.booleans()):
        return moment.strftime("%Y-%m-%d %H:%M:%S")
    fraction = draw(st.integers(min_value=0, max_value=9))
    digits = f".{draw(st.integers(min_value=0, max_value=10**fraction - 1)):0{fraction}d}" if fraction else ""
    return moment.strftime("%Y-%m-%dT%H:%M:%S") + digits + draw(OFFSETS)


@schemathesis.hook
def flatmap_body(context: Any, body: Any) -> Any:
    # Replacing one string with another keeps a positive body positive and a negative one
    # negative (the schema asks nothing of `updated_at` but to be a string).
    if not isinstance(body, dict) or not isinstance(body.get("updated_at"), str):
        return st.just(body)
    return st.tuples(st.integers(min_value=0, max_value=3), timestamps()).map(
        lambda drawn: body if drawn[0] == 0 else {**body, "updated_at": drawn[1]}
    )


# --- known gaps between the OpenAPI document and the relay ---------------------------------

dropped: Counter[str] = Counter()


def has_prototype_member(value: Any, in_constructor: bool = False) -> bool:
    """Whether a JSON value holds a member name the relay refuses (`__proto__`, `constructor.prototype`)."""
    if isinstance(value, list):
        return any(has_prototype_member(item) for item in value)
    if isinstance(value, dict):
        for name, item in value.items():
            if name == "__proto__" or (in_constructor and name == "prototype"):
                return True
            if has_prototype_member(item, name == "constructor"):
                return True
    return False


WALL_CLOCK = re.compile(r"([0-9]{4})-([0-9]{2})-([0-9]{2}) ([0-9]{2}):([0-9]{2}):([0-9]{2})")
ISO_8601 = re.compile(r"([0-9]{4})-([0-9]{2})-([0-9]{2})T([0-9]{2}):([0-9]{2}):([0-9]{2})(?:\.[0-9]{1,9})?(?:Z|[+-](?:[01][0-9]|2[0-3]):[0-5][0-9])?")


def documented_timestamp(value: Any) -> bool:
    """Whether `updated_at` is in a layout docs/contract.md promises to read, with a real date and time."""
    if not isinstance(value, str):
        return False
    match = WALL_CLOCK.fullmatch(value) or ISO_8601.fullmatch(value)
    if match is None:
        return False
    try:
        datetime(*(int(part) for part in match.groups()))
    except ValueError:
        return False
    return True


def response_json(response: Any) -> Any:
    try:
        return response.json()
    except Exception:
        return None


@schemathesis.hook
def filter_failure(context: Any, failure: Any, case: Any, response: Any) -> bool:
    body = case.body if isinstance(case.body, dict) else None
    answer = response_json(response)
    if body is None or not isinstance(answer, dict):
        return True
    code = getattr(failure, "code", "")
    # ST202, schema-valid body refused.
    if code == "ST202" and response.status_code == 422:
        # `updated_at` must be a real date and time in one of two layouts (docs/contract.md),
        # which the document describes in words, not in its schema.
        fields = {error.get("field") for error in answer.get("errors") or [] if isinstance(error, dict)}
        if fields == {"updated_at"} and not documented_timestamp(body.get("updated_at")):
            dropped["ST202 422: updated_at is a string but not a date and time the relay reads"] += 1
            return False
    if code == "ST202" and response.status_code == 400 and has_prototype_member(body):
        # Member names that reach an object's prototype are refused (src/json/strict-json.ts);
        # the request schemas allow any extra member.
        dropped["ST202 400: __proto__ or constructor.prototype member"] += 1
        return False
    # ST201, schema-violating body accepted.
    if (
        code == "ST201"
        and case.path == "/webhooks/dropea"
        and response.status_code == 202
        and answer.get("status") == "dead_lettered"
        and body.get("topic") not in KNOWN_TOPICS
    ):
        # An unknown topic on the catch-all route is kept on the dead-letter topic and answered
        # 202 dead_lettered, as documented; its request schema still lists the two known topics.
        dropped["ST201 202 dead_lettered: unknown topic on /webhooks/dropea"] += 1
        return False
    return True


@atexit.register
def report_dropped() -> None:
    for reason, count in sorted(dropped.items()):
        print(f"schemathesis hooks: dropped {count} known-gap failure(s): {reason}", file=sys.stderr)
