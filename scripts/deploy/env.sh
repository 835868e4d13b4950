# shellcheck shell=bash disable=SC2034
# (SC2034: the settings below are used by the scripts that source this file.)
# Pinned tool versions and helpers shared by the deployment checks. Source it; do not run it.
#
# Every tool comes from a package registry CI reaches (the Go module proxy, PyPI), at the exact
# version named here, and is cached in ${XDG_CACHE_HOME:-~/.cache}/dropea-relay/deploy.

DEPLOY_SCRIPTS_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)"
DEPLOY_REPO_ROOT="$(cd "$DEPLOY_SCRIPTS_DIR/../.." && pwd -P)"

# kustomize, the renderer `kubectl apply -k` embeds, built from the Go module proxy.
KUSTOMIZE_MODULE="sigs.k8s.io/kustomize/kustomize/v5"
KUSTOMIZE_VERSION="v5.8.2"
# The Compose Specification's JSON schema ships in compose-go, the loader `docker compose` uses.
COMPOSE_GO_MODULE="github.com/compose-spec/compose-go/v2"
COMPOSE_GO_VERSION="v2.16.2"
# The Prometheus Operator, whose CustomResourceDefinitions (PrometheusRule, PodMonitor) the
# monitoring manifests are checked against (example/prometheus-operator-crd in its module).
PROMETHEUS_OPERATOR_MODULE="github.com/prometheus-operator/prometheus-operator"
PROMETHEUS_OPERATOR_VERSION="v0.85.0"
# Strimzi, whose KafkaTopic and KafkaUser CRDs (kafka.strimzi.io/v1) the Strimzi resources are
# checked against. They come from the tests jar of its io.strimzi:api artifact on Maven Central,
# where Strimzi's own CRD generator writes them from the same API classes as the CRDs it
# installs; 0.51.0 is the newest release whose tests jar carries them. The jar's SHA-256 is
# pinned: Maven itself only checks the SHA-1 the repository serves beside it.
STRIMZI_VERSION="0.51.0"
STRIMZI_API_ARTIFACT="io.strimzi:api:$STRIMZI_VERSION:jar:tests"
STRIMZI_API_SHA256="b99f69303dc507ca505b74345d93f5260621bb084b8b79447f726e54b6e66a1d"
# The plugin that copies it, at the version scripts/kafka/pom.xml uses.
DEPLOY_MAVEN_DEPENDENCY_PLUGIN="org.apache.maven.plugins:maven-dependency-plugin:3.8.1"
# Kubernetes versions the manifests are validated against (schemas bundled in the pinned
# kubernetes-validate, requirements.txt): 1.30 is the oldest the manifests support (the
# preStop `sleep` action is on by default from 1.30, KEP-3960), 1.37 the newest it bundles.
DEPLOY_KUBERNETES_VERSIONS="1.30 1.37"
DEPLOY_REQUIREMENTS="$DEPLOY_SCRIPTS_DIR/requirements.txt"

DEPLOY_CACHE_DIR="${XDG_CACHE_HOME:-$HOME/.cache}/dropea-relay/deploy"
# Go's module and build caches stay inside the project's cache, away from the user's own.
DEPLOY_GO_DIR="$DEPLOY_CACHE_DIR/go"

deploy_die() {
  echo "deploy: $*" >&2
  exit 1
}

deploy_note() {
  echo "deploy: $*" >&2
}

deploy_require_mvn() {
  command -v mvn >/dev/null 2>&1 ||
    deploy_die "mvn not found: Apache Maven is needed to fetch $1 from Maven Central (e.g. apt-get install maven)"
}

deploy_require_go() {
  command -v go >/dev/null 2>&1 ||
    deploy_die "go not found: Go is needed to fetch $1 from the Go module proxy (https://go.dev/doc/install)"
}

# Runs the go command with every cache under DEPLOY_GO_DIR; GOPROXY is the user's (by default
# Go's public module proxy). GOFLAGS=-modcacherw keeps the module cache deletable with `rm -rf`;
# GOTOOLCHAIN=local never downloads another Go.
deploy_go() {
  env GOPATH="$DEPLOY_GO_DIR/path" GOMODCACHE="$DEPLOY_GO_DIR/mod" GOCACHE="$DEPLOY_GO_DIR/build" \
    GOFLAGS=-modcacherw GOTOOLCHAIN=local CGO_ENABLED=0 go "$@"
}

# Prints the folder of Go module $1 at version $2, downloaded from the module proxy into the
# module cache (no build).
deploy_go_module_dir() {
  local json
  if ! json="$(deploy_go mod download -json "$1@$2" 2>&1)"; then
    echo "$json" >&2
    deploy_die "go mod download $1@$2 failed (output above)"
  fi
  sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p' <<<"$json"
}

# Copies Maven artifact $1 (group:artifact:version:type[:classifier]) from Maven Central (or the
# user's mirror, ~/.m2/settings.xml) into folder $2, and checks its SHA-256 against $3.
deploy_maven_artifact() {
  local log
  if ! log="$(mvn -B -q -Dstyle.color=never "$DEPLOY_MAVEN_DEPENDENCY_PLUGIN:copy" -Dartifact="$1" -DoutputDirectory="$2" 2>&1)"; then
    echo "$log" >&2
    deploy_die "mvn could not fetch $1 (output above); check access to Maven Central or your mirror in ~/.m2/settings.xml"
  fi
  local jar actual
  jar="$(find "$2" -maxdepth 1 -name '*.jar' | head -n 1)"
  [[ -n "$jar" ]] || deploy_die "mvn finished but no jar of $1 is in $2"
  actual="$(sha256sum "$jar" | cut -d ' ' -f 1)"
  [[ "$actual" == "$3" ]] || deploy_die "$1: SHA-256 $actual, expected $3 (env.sh); refusing to use it"
  echo "$jar"
}

# Serialises installs of one tool, so parallel runs (e.g. two test workers) cannot both build
# into the same folder. No-op where flock is missing (e.g. stock macOS).
deploy_lock() {
  mkdir -p "$DEPLOY_CACHE_DIR"
  command -v flock >/dev/null 2>&1 || return 0
  exec 9>"$DEPLOY_CACHE_DIR/.$1.lock"
  flock -w 900 9 || deploy_die "another install holds $DEPLOY_CACHE_DIR/.$1.lock; gave up waiting"
}

# Milliseconds since the epoch where the shell can tell (bash 5); whole seconds otherwise.
deploy_now_ms() {
  if [[ -n "${EPOCHREALTIME:-}" ]]; then
    local t="${EPOCHREALTIME/[.,]/}"
    echo "${t:0:${#t}-3}"
  else
    echo "$((SECONDS * 1000))"
  fi
}
