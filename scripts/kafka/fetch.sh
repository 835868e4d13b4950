#!/usr/bin/env bash
# Downloads the Kafka broker and tool jars listed in jars.lock (generated from pom.xml by
# lock.sh) from Maven Central, or KAFKA_MAVEN_REPOSITORY, into $KAFKA_CACHE_DIR/libs, checking
# each one's SHA-256 (fetch-jars.mjs). Needs Java and Node.js, not Maven. Does nothing when
# that folder already matches jars.lock, so callers may run it before every start.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=env.sh
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"

# Also clears scratch folders of fetches that were killed; only safe while holding the lock,
# so without flock they stay (they are harmless).
fetch_lock() {
  command -v flock >/dev/null 2>&1 || return 0
  exec 8>"$KAFKA_CACHE_DIR/.fetch.lock"
  flock -w 600 8 || kafka_die "another fetch holds $KAFKA_CACHE_DIR/.fetch.lock; gave up waiting"
  rm -rf "$KAFKA_CACHE_DIR"/.partial.*
}

# The jars go into a scratch folder next to the cache, so an interrupted or failed fetch never
# leaves a half-filled libs/ behind, and the final rename stays on one filesystem. The marker
# is written last, and names the very lock the jars were checked against.
fetch_into() {
  local work="$1"
  cp "$KAFKA_JARS_LOCK" "$work/jars.lock"
  mkdir "$work/libs"
  # NODE_USE_ENV_PROXY: Node.js 22.21+ and 24+ then send fetch() through HTTPS_PROXY /
  # HTTP_PROXY (minus NO_PROXY); older ones ignore it.
  # https://nodejs.org/api/cli.html#node_use_env_proxy1
  NODE_USE_ENV_PROXY="${NODE_USE_ENV_PROXY:-1}" KAFKA_MAVEN_REPOSITORY="$KAFKA_MAVEN_REPOSITORY" \
    "$KAFKA_NODE" "$KAFKA_FETCH_JARS" "$work/jars.lock" "$work/libs" "$KAFKA_LIBS_DIR" || exit 1
  [[ -f "$work/libs/kafka_2.13-$KAFKA_VERSION.jar" ]] ||
    kafka_die "$KAFKA_JARS_LOCK has no kafka_2.13-$KAFKA_VERSION.jar: it does not match pom.xml; run scripts/kafka/lock.sh"
  kafka_file_checksum "$work/jars.lock" >"$work/libs/.complete"
}

install_libs() {
  local work="$1"
  if [[ -e "$KAFKA_LIBS_DIR" ]]; then
    mv "$KAFKA_LIBS_DIR" "$work/old-libs"
  fi
  mv "$work/libs" "$KAFKA_LIBS_DIR"
}

main() {
  kafka_libs_ready && return 0
  # Before any download: without Java the jars are of no use.
  kafka_require_java
  kafka_require_node
  mkdir -p "$KAFKA_CACHE_DIR"
  fetch_lock
  # Someone else may have finished the same fetch while this one waited for the lock.
  kafka_libs_ready && return 0

  local work started count
  work="$(mktemp -d "$KAFKA_CACHE_DIR/.partial.XXXXXX")"
  # shellcheck disable=SC2064 # expand now: $work is local and gone by the time EXIT fires
  trap "rm -rf '$work'" EXIT
  trap 'exit 130' INT
  trap 'exit 143' TERM
  started="$(kafka_now_ms)"
  kafka_note "fetching the Kafka $KAFKA_VERSION jars into $KAFKA_LIBS_DIR (once) ..."
  fetch_into "$work"
  install_libs "$work"
  count="$(find "$KAFKA_LIBS_DIR" -name '*.jar' | wc -l | tr -d ' ')"
  kafka_note "$count jars ready in $(($(kafka_now_ms) - started)) ms"
}

main "$@"
