#!/usr/bin/env bash
# Checks everything the project ships for deployment (docs/deployment.md), with the real tools
# at pinned versions (env.sh), installed into the cache on first use:
#   - every kustomization (deploy/kubernetes/base, each overlay, and monitoring) renders with
#     kustomize, and every rendered object, plus the *.example.yaml manifests, is valid against
#     the Kubernetes schemas of each version in DEPLOY_KUBERNETES_VERSIONS, strictly (no unknown
#     field, no kind without a schema); custom resources (PodMonitor, PrometheusRule, KafkaTopic,
#     KafkaUser) are valid against their CustomResourceDefinitions (crds.sh), as strictly;
#   - docker-compose.yml is valid against the Compose Specification's JSON schema, and, where a
#     `docker compose` plugin is installed, `docker compose config` accepts it too;
#   - the Dockerfile passes hadolint.
# Exits 0 only if all pass; the last line sums up what was checked.
#
# usage: scripts/deploy/validate.sh [--out DIR]
#   --out DIR   keep the rendered manifests in DIR as <kustomization>.yaml (base.yaml,
#               overlays-strimzi.yaml, ...); by default they go to a temporary folder.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=env.sh
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"

out=""
while (($# > 0)); do
  case "$1" in
    --out) out="${2:?--out needs a folder}"; shift 2 ;;
    -h | --help) sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) deploy_die "unknown argument '$1' (see --help)" ;;
  esac
done
scratch="$(mktemp -d)"
trap 'rm -rf "$scratch"' EXIT
out="${out:-$scratch/rendered}"
mkdir -p "$out"
out="$(cd "$out" && pwd -P)"
cd "$DEPLOY_REPO_ROOT"

# The tools, installed on first use. kustomize (a Go build) and the Python environment (PyPI
# downloads) install side by side, which halves the first run's wait.
compose_schema="$(bash "$DEPLOY_SCRIPTS_DIR/compose-schema.sh")"
crds="$(bash "$DEPLOY_SCRIPTS_DIR/crds.sh")"
bash "$DEPLOY_SCRIPTS_DIR/kustomize.sh" >"$scratch/kustomize-path" &
kustomize_install=$!
venv="$(bash "$DEPLOY_REPO_ROOT/scripts/python/venv.sh" "$DEPLOY_REQUIREMENTS")"
wait "$kustomize_install" || exit 1
kustomize="$(cat "$scratch/kustomize-path")"

# 1. Render each kustomization.
rendered=() summary=()
for dir in deploy/kubernetes/base deploy/kubernetes/overlays/*/ deploy/kubernetes/monitoring; do
  dir="${dir%/}"
  name="${dir#deploy/kubernetes/}"
  file="$out/${name//\//-}.yaml"
  if ! "$kustomize" build "$dir" >"$file" 2>"$file.err"; then
    cat "$file.err" >&2
    deploy_die "kustomize build $dir failed (output above)"
  fi
  rm -f "$file.err"
  rendered+=("$file")
  summary+=("$name ($(grep -c '^kind: ' "$file") objects)")
done

# 2. Custom resources against their CRDs; every other object against the Kubernetes schemas,
#    strictly.
examples=()
while IFS= read -r example; do examples+=("$example"); done < <(find deploy/kubernetes -name '*.example.yaml' | sort)
"$venv/bin/python" "$DEPLOY_SCRIPTS_DIR/custom-resource-check.py" --crds "$crds" --core-out "$scratch/core.yaml" "${rendered[@]}" "${examples[@]}" ||
  deploy_die "custom resources do not match their CustomResourceDefinitions (see the ERROR lines above)"
bash "$DEPLOY_SCRIPTS_DIR/kubernetes-schema-check.sh" "$scratch/core.yaml"

# 3. Compose.
"$venv/bin/python" "$DEPLOY_SCRIPTS_DIR/compose-schema-check.py" "$compose_schema" docker-compose.yml ||
  deploy_die "docker-compose.yml does not match the Compose Specification schema (see the ERROR lines above)"
compose_note="docker compose not installed, not run"
if docker compose version >/dev/null 2>&1; then
  docker compose -f docker-compose.yml config --quiet || deploy_die "docker compose config rejects docker-compose.yml"
  compose_note="docker compose config accepts it"
fi

# 4. Dockerfile.
"$venv/bin/hadolint" --no-color Dockerfile || deploy_die "hadolint reports the problems above in the Dockerfile"

rendered_list="$(printf '%s, ' "${summary[@]}")"
deploy_note "ok: rendered ${rendered_list%, }; with ${#examples[@]} example manifest(s), valid against Kubernetes ${DEPLOY_KUBERNETES_VERSIONS// /, } (strict), custom resources against the CRDs of the Prometheus Operator $PROMETHEUS_OPERATOR_VERSION and Strimzi $STRIMZI_VERSION (strict); docker-compose.yml valid against the compose-go $COMPOSE_GO_VERSION schema ($compose_note); Dockerfile passes hadolint"
