#!/usr/bin/env bash
# Copies the Kafka broker and tool jars named in pom.xml (and their runtime dependencies)
# from Maven Central into $KAFKA_CACHE_DIR/libs. Does nothing when that folder already
# matches pom.xml, so callers may run it before every start.
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

# Maven writes into a scratch folder next to the cache, so an interrupted or failed fetch
# never leaves a half-filled libs/ behind, and the final rename stays on one filesystem.
fetch_into() {
  local work="$1" mvn_args=()
  if [[ -n "${KAFKA_MVN_ARGS:-}" ]]; then
    read -r -a mvn_args <<<"$KAFKA_MVN_ARGS"
  fi
  # A copy of the pom, so that nothing (e.g. target/) lands in the work tree, and so that
  # the marker names exactly the pom these jars came from.
  cp "$KAFKA_POM" "$work/pom.xml"
  if ! mvn -B -q -Dstyle.color=never -f "$work/pom.xml" ${mvn_args[@]+"${mvn_args[@]}"} \
    dependency:copy-dependencies -DoutputDirectory="$work/libs" -DincludeScope=runtime \
    >"$work/mvn.log" 2>&1; then
    tail -n 40 "$work/mvn.log" >&2
    kafka_die "mvn could not fetch the Kafka $KAFKA_VERSION jars (output above). Check network access to Maven Central, or proxy/mirror settings in ~/.m2/settings.xml (KAFKA_MVN_ARGS passes extra mvn options)."
  fi
  [[ -f "$work/libs/kafka_2.13-$KAFKA_VERSION.jar" ]] ||
    kafka_die "mvn finished but kafka_2.13-$KAFKA_VERSION.jar is missing from $work/libs"
  kafka_pom_checksum "$work/pom.xml" >"$work/libs/.complete"
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
  kafka_require_java
  kafka_require_mvn
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
  kafka_note "fetching Kafka $KAFKA_VERSION jars into $KAFKA_LIBS_DIR (once) ..."
  fetch_into "$work"
  install_libs "$work"
  count="$(find "$KAFKA_LIBS_DIR" -name '*.jar' | wc -l | tr -d ' ')"
  kafka_note "fetched $count jars in $(($(kafka_now_ms) - started)) ms"
}

main "$@"
