#!/usr/bin/env bash
# Prints the path of a Node binary of the given major version (e.g. 22 or 24): the machine's
# `node` when it is that version, else the `node@MAJOR` package from the npm registry, fetched
# once by npx and cached in ~/.npm/_npx. Works under any Node that has npx (Node 20 included).
#
# Usage: scripts/node.sh MAJOR
#   e.g. PATH="$(dirname "$(scripts/node.sh 24)"):$PATH" npm ci
set -euo pipefail
major="${1:-}"
if [[ ! "$major" =~ ^[1-9][0-9]*$ ]]; then
  echo "usage: $0 MAJOR   (e.g. $0 24)" >&2
  exit 2
fi
major_of() { "$1" -p 'process.versions.node.split(".")[0]' 2>/dev/null; }

if command -v node >/dev/null && [[ "$(major_of node)" == "$major" ]]; then
  command -v node
  exit 0
fi
errors="$(mktemp)"
trap 'rm -f "$errors"' EXIT
# npx puts the package's bin first on PATH, so `node` here is the one from node@MAJOR.
if ! path="$(npx -y -p "node@$major" node -p process.execPath 2>"$errors")" || [[ ! -x "$path" ]]; then
  echo "scripts/node.sh: could not fetch Node $major from the npm registry (npx -p node@$major):" >&2
  grep -v 'Unknown user config' "$errors" | tail -n 20 >&2 || true
  exit 1
fi
if [[ "$(major_of "$path")" != "$major" ]]; then
  echo "scripts/node.sh: $path is Node $(major_of "$path"), not $major" >&2
  exit 1
fi
echo "$path"
