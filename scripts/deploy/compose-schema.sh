#!/usr/bin/env bash
# Prints the path of the Compose Specification JSON schema (schema/compose-spec.json of the
# pinned compose-go module, env.sh), taken from the Go module proxy the first time (a 200 KB
# module download, no build).
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=env.sh
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"

schema="$DEPLOY_CACHE_DIR/compose-spec-$COMPOSE_GO_VERSION.json"

if [[ ! -f "$schema" ]]; then
  deploy_require_go "compose-go $COMPOSE_GO_VERSION"
  deploy_lock go
  if [[ ! -f "$schema" ]]; then
    dir="$(deploy_go_module_dir "$COMPOSE_GO_MODULE" "$COMPOSE_GO_VERSION")"
    [[ -f "$dir/schema/compose-spec.json" ]] ||
      deploy_die "$COMPOSE_GO_MODULE@$COMPOSE_GO_VERSION has no schema/compose-spec.json (in '$dir')"
    cp "$dir/schema/compose-spec.json" "$schema.partial"
    chmod 644 "$schema.partial"
    mv "$schema.partial" "$schema"
    deploy_go clean -modcache >/dev/null 2>&1 || true
  fi
fi
echo "$schema"
