#!/usr/bin/env bash
# Prints a folder holding the CustomResourceDefinitions of the custom resources deploy/ ships,
# fetched the first time at the versions pinned in env.sh:
#   - the Prometheus Operator's monitoring.coreos.com kinds (PodMonitor, PrometheusRule), from
#     its Go module on the Go module proxy (a module download, no build); the operator's own
#     CRDs are what a cluster running it serves;
#   - Strimzi's KafkaTopic and KafkaUser (kafka.strimzi.io/v1), from the tests jar of
#     io.strimzi:api on Maven Central (checked against its pinned SHA-256).
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=env.sh
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"

crds="$DEPLOY_CACHE_DIR/crds-prometheus-operator-$PROMETHEUS_OPERATOR_VERSION-strimzi-$STRIMZI_VERSION"

if [[ ! -d "$crds" ]]; then
  deploy_require_go "prometheus-operator $PROMETHEUS_OPERATOR_VERSION"
  deploy_require_mvn "$STRIMZI_API_ARTIFACT"
  deploy_lock go
  if [[ ! -d "$crds" ]]; then
    rm -rf "$crds.partial"
    mkdir -p "$crds.partial/strimzi-jar"
    dir="$(deploy_go_module_dir "$PROMETHEUS_OPERATOR_MODULE" "$PROMETHEUS_OPERATOR_VERSION")/example/prometheus-operator-crd"
    [[ -f "$dir/monitoring.coreos.com_prometheusrules.yaml" && -f "$dir/monitoring.coreos.com_podmonitors.yaml" ]] ||
      deploy_die "$PROMETHEUS_OPERATOR_MODULE@$PROMETHEUS_OPERATOR_VERSION has no CRDs in '$dir'"
    cp "$dir"/monitoring.coreos.com_*.yaml "$crds.partial/"
    deploy_go clean -modcache >/dev/null 2>&1 || true

    jar="$(deploy_maven_artifact "$STRIMZI_API_ARTIFACT" "$crds.partial/strimzi-jar" "$STRIMZI_API_SHA256")"
    # The jar's crds/v1 folder: CRDs that serve kafka.strimzi.io/v1 only, so a resource still
    # written for the deprecated v1beta2 fails the check too.
    python3 - "$jar" "$crds.partial" <<'PYTHON'
import sys, zipfile
jar, out = sys.argv[1], sys.argv[2]
with zipfile.ZipFile(jar) as archive:
    for member, name in [("crds/v1/043-Crd-kafkatopic.yaml", "kafka.strimzi.io_kafkatopics.yaml"), ("crds/v1/044-Crd-kafkauser.yaml", "kafka.strimzi.io_kafkausers.yaml")]:
        with open(f"{out}/{name}", "wb") as file:
            file.write(archive.read(member))
PYTHON
    rm -rf "$crds.partial/strimzi-jar"
    chmod 644 "$crds.partial"/*.yaml
    mv "$crds.partial" "$crds"
  fi
fi
echo "$crds"
