#!/usr/bin/env bash
# kafka-topics against the local broker, e.g.
#   scripts/kafka/topics.sh --list
#   scripts/kafka/topics.sh --create --topic demo --partitions 3
#   scripts/kafka/topics.sh --describe --topic demo
# --bootstrap-server is supplied; everything else goes to the tool unchanged.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=env.sh
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"

kafka_exec_tool org.apache.kafka.tools.TopicCommand --bootstrap-server "$KAFKA_BOOTSTRAP" "$@"
