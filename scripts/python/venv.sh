#!/usr/bin/env bash
# Prints the path of a Python virtual environment holding exactly the packages pinned in the
# requirements file given as $1, creating it from PyPI on first use. Environments are cached
# per requirements content and Python version in ${XDG_CACHE_HOME:-~/.cache}/dropea-relay/python.
set -euo pipefail

requirements="${1:?usage: scripts/python/venv.sh <requirements.txt>}"
[[ -f "$requirements" ]] || { echo "venv.sh: $requirements not found" >&2; exit 1; }
python="${PYTHON:-python3}"
command -v "$python" >/dev/null 2>&1 || { echo "venv.sh: $python not found; Python 3.9+ is needed" >&2; exit 1; }

cache="${XDG_CACHE_HOME:-$HOME/.cache}/dropea-relay/python"
mkdir -p "$cache"
digest="$({ "$python" --version 2>&1; cat "$requirements"; } | sha256sum | awk '{ print substr($1, 1, 16) }')"
venv="$cache/$digest"

if [[ ! -f "$venv/.complete" ]]; then
  if command -v flock >/dev/null 2>&1; then
    exec 9>"$cache/.$digest.lock"
    flock -w 900 9 || { echo "venv.sh: another install holds $cache/.$digest.lock" >&2; exit 1; }
  fi
  if [[ ! -f "$venv/.complete" ]]; then
    # A venv records its own path (in its scripts' shebangs), so it is built where it stays;
    # .complete marks it usable, and a failed or interrupted build is cleared on the next run.
    rm -rf "$venv"
    "$python" -m venv "$venv" >&2
    if ! "$venv/bin/python" -m pip install --quiet --disable-pip-version-check --no-input \
      -r "$requirements" >"$venv/pip.log" 2>&1; then
      tail -n 40 "$venv/pip.log" >&2
      echo "venv.sh: pip could not install $requirements from PyPI (output above)" >&2
      exit 1
    fi
    touch "$venv/.complete"
  fi
fi
echo "$venv"
