#!/usr/bin/env bash
# Prints the path of a Node 24 binary (the action's runtime), fetched from the npm registry once.
set -euo pipefail
if command -v node >/dev/null && [[ "$(node -p 'process.versions.node.split(".")[0]')" == 24 ]]; then
  command -v node
  exit 0
fi
npx -y -p node@24 node -p process.execPath 2>/dev/null
