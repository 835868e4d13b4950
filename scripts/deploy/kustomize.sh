#!/usr/bin/env bash
# Prints the path of the pinned kustomize binary (env.sh), building it with `go install` from
# the Go module proxy the first time (about 35 s and 300 MB of downloads and build cache, which
# are removed afterwards; the binary stays, 22 MB).
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=env.sh
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"

bin_dir="$DEPLOY_CACHE_DIR/kustomize-$KUSTOMIZE_VERSION"
bin="$bin_dir/kustomize"

if [[ ! -x "$bin" ]]; then
  deploy_require_go "kustomize $KUSTOMIZE_VERSION"
  deploy_lock go
  if [[ ! -x "$bin" ]]; then
    started="$(deploy_now_ms)"
    deploy_note "building kustomize $KUSTOMIZE_VERSION with go install into $bin_dir (once) ..."
    # Built into a scratch folder and renamed, so an interrupted build never leaves a binary
    # that looks installed.
    work="$(mktemp -d "$DEPLOY_CACHE_DIR/.kustomize.XXXXXX")"
    trap 'rm -rf "$work"' EXIT
    if ! GOBIN="$work" deploy_go install "$KUSTOMIZE_MODULE@$KUSTOMIZE_VERSION" >"$work/go.log" 2>&1; then
      tail -n 40 "$work/go.log" >&2
      deploy_die "go install $KUSTOMIZE_MODULE@$KUSTOMIZE_VERSION failed (output above; GOPROXY=$(go env GOPROXY))"
    fi
    rm -rf "$bin_dir"
    mkdir -p "$bin_dir"
    mv "$work/kustomize" "$bin"
    # Sources and objects are only needed to build; drop them.
    deploy_go clean -cache -modcache >/dev/null 2>&1 || true
    deploy_note "built kustomize in $(($(deploy_now_ms) - started)) ms"
  fi
fi
echo "$bin"
