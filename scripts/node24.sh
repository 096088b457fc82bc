#!/usr/bin/env bash
# Prints the path of a Node 24 binary (the action's runtime), fetched from the npm registry once.
# Same as `scripts/node.sh 24`.
set -euo pipefail
exec "$(dirname "${BASH_SOURCE[0]}")/node.sh" 24
