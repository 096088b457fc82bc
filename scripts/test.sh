#!/usr/bin/env bash
# Sets up everything and runs every check: format, lint, types, dist freshness, unit tests,
# and integration tests against a real local S3 (Ceph RGW, installed and started here).
# The bundle's end-to-end tests run under Node 24, the action's runtime.
set -euo pipefail
cd "$(dirname "$0")/.."

if [[ ! -d node_modules || "${CI:-}" == true ]]; then
  npm ci --no-audit --no-fund
fi
scripts/local-s3.sh start
eval "$(scripts/local-s3.sh env)"

echo "== format, lint, types"
npx prettier --check .
npx eslint .
npx tsc --noEmit

echo "== dist/ is what src/ builds"
fresh=$(mktemp -d)
npx ncc build src/action/index.ts -o "$fresh" --license licenses.txt --target es2022 >/dev/null
npx ncc build src/cli/index.ts -o "$fresh/cli" --license licenses.txt --target es2022 >/dev/null
if ! diff -r "$fresh" dist >/dev/null; then
  echo "dist/ is stale: run 'npm run bundle' and commit dist/" >&2
  diff -r "$fresh" dist | head -20 >&2
  exit 1
fi
rm -rf "$fresh"

ACTION_NODE=$(scripts/node24.sh)
if [[ ! -x "$ACTION_NODE" ]]; then
  echo "Node 24 (the action's runtime) could not be fetched from the npm registry" >&2
  exit 1
fi
export ACTION_NODE
echo "== tests (the bundle runs under Node $("$ACTION_NODE" --version))"
results=$(mktemp)
status=0
NODE_OPTIONS=--experimental-vm-modules npx jest --json --outputFile="$results" "$@" || status=$?
node -e '
  const r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"))
  console.log(`${r.numPassedTests} passed, ${r.numFailedTests} failed, ${r.numPendingTests} skipped`)
' "$results"
exit $status
