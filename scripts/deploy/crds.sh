#!/usr/bin/env bash
# Prints a folder holding the CustomResourceDefinitions of the custom resources deploy/ ships
# (the Prometheus Operator's monitoring.coreos.com kinds, from its pinned module, env.sh), taken
# from the Go module proxy the first time (a module download, no build). The operator's own CRDs
# are what a cluster running it serves, so they are what the manifests must match.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=env.sh
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"

crds="$DEPLOY_CACHE_DIR/crds-prometheus-operator-$PROMETHEUS_OPERATOR_VERSION"

if [[ ! -d "$crds" ]]; then
  deploy_require_go "prometheus-operator $PROMETHEUS_OPERATOR_VERSION"
  deploy_lock go
  if [[ ! -d "$crds" ]]; then
    dir="$(deploy_go_module_dir "$PROMETHEUS_OPERATOR_MODULE" "$PROMETHEUS_OPERATOR_VERSION")/example/prometheus-operator-crd"
    [[ -f "$dir/monitoring.coreos.com_prometheusrules.yaml" ]] ||
      deploy_die "$PROMETHEUS_OPERATOR_MODULE@$PROMETHEUS_OPERATOR_VERSION has no CRDs in '$dir'"
    rm -rf "$crds.partial"
    mkdir -p "$crds.partial"
    cp "$dir"/monitoring.coreos.com_*.yaml "$crds.partial/"
    chmod 644 "$crds.partial"/*.yaml
    mv "$crds.partial" "$crds"
    deploy_go clean -modcache >/dev/null 2>&1 || true
  fi
fi
echo "$crds"
