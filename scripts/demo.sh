#!/usr/bin/env bash
# One command, nothing else needed: starts a local S3 with versioning, seeds a justice40-like
# bucket, corrupts it, and rolls it back with the bundled action (dist/index.js) by to-time.
set -euo pipefail
cd "$(dirname "$0")/.."
[[ -d node_modules ]] || npm ci --no-audit --no-fund
scripts/local-s3.sh start
eval "$(scripts/local-s3.sh env)"
ACTION_NODE=$(scripts/node24.sh || command -v node)
export ACTION_NODE
"$ACTION_NODE" scripts/demo.mjs
