#!/usr/bin/env bash
# kafka-console-consumer against the local broker, e.g.
#   scripts/kafka/consume.sh --topic demo --from-beginning --max-messages 10 \
#     --formatter-property print.key=true --formatter-property print.headers=true
# --bootstrap-server is supplied; everything else goes to the tool unchanged.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=env.sh
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"

kafka_exec_tool org.apache.kafka.tools.consumer.ConsoleConsumer --bootstrap-server "$KAFKA_BOOTSTRAP" "$@"
