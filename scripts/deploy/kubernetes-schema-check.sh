#!/usr/bin/env bash
# Validates Kubernetes manifests (multi-document YAML files) against the OpenAPI schemas of
# every Kubernetes version in DEPLOY_KUBERNETES_VERSIONS (env.sh), in strict mode: an unknown or
# misspelt field fails, as `kubectl apply --validate=strict` would. An object whose kind has no
# schema (a custom resource, a typo in apiVersion) fails too; kubernetes-validate itself only
# warns about it.
#
# usage: scripts/deploy/kubernetes-schema-check.sh FILE...
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=env.sh
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"

(($# > 0)) || deploy_die "usage: kubernetes-schema-check.sh FILE..."
venv="$(bash "$DEPLOY_REPO_ROOT/scripts/python/venv.sh" "$DEPLOY_REQUIREMENTS")"

version_args=()
for version in $DEPLOY_KUBERNETES_VERSIONS; do
  version_args+=(--kubernetes-version "$version")
done

status=0
output="$("$venv/bin/kubernetes-validate" --strict "${version_args[@]}" "$@" 2>&1)" || status=$?
echo "$output"
if ((status != 0)) || grep -qE '^(WARN|ERROR|FATAL)' <<<"$output"; then
  deploy_die "Kubernetes schema check failed (see the WARN/ERROR lines above)"
fi
