#!/usr/bin/env bash
# Sets up everything and runs every check: format, lint, types, dist freshness, unit tests,
# and integration tests against a real local S3 (Ceph RGW, installed and started here).
# Everything runs under Node 24, the action's runtime, fetched from the npm registry when the
# machine's node is another version (scripts/node24.sh needs only the machine's npx).
set -euo pipefail
cd "$(dirname "$0")/.."
fresh=""
results=""
trap 'rm -rf "$fresh" "$results"' EXIT

if ! ACTION_NODE=$(scripts/node24.sh) || [[ ! -x "$ACTION_NODE" ]]; then
  echo "Node 24 (the action's runtime) could not be fetched from the npm registry" >&2
  exit 1
fi
export ACTION_NODE
# `node`, `npm` and `npx` below (and in the tests' child processes) are Node 24's.
PATH="$(dirname "$ACTION_NODE"):$PATH"
export PATH

if [[ ! -d node_modules || "${CI:-}" == true ]]; then
  npm ci --no-audit --no-fund
fi

# Debian packages the tests need, installed only when missing, quietly and without questions,
# as scripts/local-s3.sh installs Ceph.
apt_install() {
  local sudo=()
  if ((EUID != 0)); then sudo=(sudo -n); fi
  local apt_get=("${sudo[@]}" env DEBIAN_FRONTEND=noninteractive NEEDRESTART_MODE=a apt-get -q -y
    -o DPkg::Lock::Timeout=600 -o Dpkg::Use-Pty=0)
  if ! "${apt_get[@]}" install --no-install-recommends "$@" >/dev/null </dev/null; then
    "${apt_get[@]}" update >/dev/null </dev/null
    "${apt_get[@]}" install --no-install-recommends "$@" >/dev/null </dev/null
  fi
}

# The AWS API model the fake S3 Control checks every request and response against
# (__tests__/helpers/botocore-model.ts): Debian's python3-botocore ships it.
botocore_model=/usr/lib/python3/dist-packages/botocore/data/s3control/2018-08-20/service-2.json
if [[ ! -e "$botocore_model" && ! -e "$botocore_model.gz" ]]; then
  echo "installing python3-botocore (the S3 Control API model the tests check against)" >&2
  apt_install python3-botocore
fi

# The browser that screenshots the job summaries as GitHub shows them
# (__tests__/summary-screens.int.test.ts), with fonts metric-compatible with GitHub's.
if [[ ! -x /usr/bin/chromium ]]; then
  echo "installing chromium (the job summaries are screenshotted in a headless browser)" >&2
  apt_install chromium fonts-liberation fonts-dejavu-core
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

echo "== tests under Node $(node --version) (the bundle runs under Node $("$ACTION_NODE" --version))"
results=$(mktemp)
status=0
NODE_OPTIONS=--experimental-vm-modules npx jest --json --outputFile="$results" "$@" || status=$?
node -e '
  const r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"))
  console.log(`${r.numPassedTests} passed, ${r.numFailedTests} failed, ${r.numPendingTests} skipped`)
' "$results"
exit $status
