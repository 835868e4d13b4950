#!/usr/bin/env bash
# kafka-console-producer against the local broker: one record per stdin line, e.g.
#   echo 'hello' | scripts/kafka/produce.sh --topic demo
#   echo 'k1:hello' | scripts/kafka/produce.sh --topic demo --reader-property parse.key=true --reader-property key.separator=:
# --bootstrap-server is supplied; everything else goes to the tool unchanged.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=env.sh
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"

kafka_exec_tool org.apache.kafka.tools.ConsoleProducer --bootstrap-server "$KAFKA_BOOTSTRAP" "$@"
