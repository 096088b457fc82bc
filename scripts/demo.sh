#!/usr/bin/env bash
# One command, nothing else needed: starts a local S3 with versioning, seeds a justice40-like
# bucket, corrupts it, and rolls it back with the bundled action (dist/index.js) by to-time.
# Runs under Node 24 (the action's runtime), fetched from the npm registry if the machine's node
# is another version. The local S3 is left running: `scripts/local-s3.sh stop` stops it.
set -euo pipefail
cd "$(dirname "$0")/.."
ACTION_NODE=$(scripts/node24.sh)
export ACTION_NODE
PATH="$(dirname "$ACTION_NODE"):$PATH" # npm, npx and node below are Node 24's
export PATH
[[ -d node_modules ]] || npm ci --no-audit --no-fund
scripts/local-s3.sh start
eval "$(scripts/local-s3.sh env)"
node scripts/demo.mjs
