#!/usr/bin/env bash
# Writes jars.lock: every jar the broker and tools run on (the runtime dependencies of pom.xml,
# as Maven resolves them), by its path in a Maven repository, with its SHA-256 and size.
# fetch.sh downloads exactly that list, so running the broker needs no Maven; only this script
# does. Run it after every change to pom.xml and commit both files together.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=env.sh
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"

require_mvn() {
  command -v mvn >/dev/null 2>&1 ||
    kafka_die "mvn not found: lock.sh resolves pom.xml with Apache Maven (e.g. apt-get install maven); running the broker does not need it"
}

# sha256sum (GNU) or shasum (macOS); this script runs on maintainers' machines only.
sha256_of() {
  if command -v sha256sum >/dev/null 2>&1; then
    sha256sum "$1" | awk '{print $1}'
  else
    shasum -a 256 "$1" | awk '{print $1}'
  fi
}

# The jars in Maven's repository layout (group/artifact/version/file), so that each path in the
# lock is also its address on any Maven repository. --strict-checksums: a jar whose .sha1 on
# the repository does not match is refused rather than locked.
resolve_into() {
  local work="$1" mvn_args=()
  if [[ -n "${KAFKA_MVN_ARGS:-}" ]]; then
    read -r -a mvn_args <<<"$KAFKA_MVN_ARGS"
  fi
  cp "$KAFKA_POM" "$work/pom.xml"
  if ! mvn -B -q --strict-checksums -Dstyle.color=never -f "$work/pom.xml" ${mvn_args[@]+"${mvn_args[@]}"} \
    dependency:copy-dependencies -DoutputDirectory="$work/repo" -DincludeScope=runtime \
    -Dmdep.useRepositoryLayout=true >"$work/mvn.log" 2>&1; then
    tail -n 40 "$work/mvn.log" >&2
    kafka_die "mvn could not resolve $KAFKA_POM (output above)"
  fi
}

write_lock() {
  local work="$1" path name
  {
    echo "# The jars of the local Kafka $KAFKA_VERSION broker and tools: path in a Maven repository,"
    echo "# SHA-256, size in bytes. Generated from pom.xml by scripts/kafka/lock.sh; do not edit."
    while IFS= read -r path; do
      echo "$path $(sha256_of "$work/repo/$path") $(wc -c <"$work/repo/$path" | tr -d ' ')"
    done < <(cd "$work/repo" && find . -type f -name '*.jar' | sed 's:^\./::' | LC_ALL=C sort)
  } >"$work/jars.lock"
  # fetch.sh puts every jar into one folder under its file name.
  name="$(awk '!/^#/ {n = split($1, p, "/"); print p[n]}' "$work/jars.lock" | LC_ALL=C sort | uniq -d | awk 'NR == 1')"
  [[ -z "$name" ]] || kafka_die "two dependencies share the file name $name; fetch.sh cannot hold both"
  grep -q "^org/apache/kafka/kafka_2.13/$KAFKA_VERSION/kafka_2.13-$KAFKA_VERSION.jar " "$work/jars.lock" ||
    kafka_die "Maven resolved no kafka_2.13-$KAFKA_VERSION.jar from $KAFKA_POM"
}

main() {
  require_mvn
  local work
  work="$(mktemp -d "${TMPDIR:-/tmp}/kafka-lock.XXXXXX")"
  # shellcheck disable=SC2064 # expand now: $work is local and gone by the time EXIT fires
  trap "rm -rf '$work'" EXIT
  resolve_into "$work"
  write_lock "$work"
  cp "$work/jars.lock" "$KAFKA_JARS_LOCK.tmp"
  mv "$KAFKA_JARS_LOCK.tmp" "$KAFKA_JARS_LOCK"
  kafka_note "wrote $KAFKA_JARS_LOCK: $(grep -vc '^#' "$KAFKA_JARS_LOCK") jars for Kafka $KAFKA_VERSION"
}

main "$@"
