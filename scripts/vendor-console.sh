#!/usr/bin/env bash
# Fetch the pinned Preact, htm and axe-core from the npm registry, check each tarball against its pinned digest, and
# copy the files the web console uses into gateway/static/vendor/ (axe-core, used only by the console's tests, into
# tests/e2e/vendor/). The console loads ES modules by relative path, since an import map would have to be inline
# and the Content-Security-Policy allows no inline script: the one bare import in Preact's hooks module
# (`from"preact"`) is rewritten to `from"./preact.mjs"`, and nothing else is changed.
# To move to another version: change its version and SHA512 below (`npm view NAME@VERSION dist.integrity`,
# base64-decoded to hex), run this script, and run tests/e2e/test_ui.py.
# Usage: scripts/vendor-console.sh
set -euo pipefail
cd "$(dirname "$0")/.."

PREACT=11.2.0
PREACT_SHA512=fc77c723fecdf387ba1ab581277276f34cf798b6912620dc4af8ff03ecbfe006cb9cd0ffd549461ded6c47aa18b931b021dd273fb76a0d4f4e9cbc4c3d9ef106
HTM=3.1.1
HTM_SHA512=f7cdd5ca0f0dc1413b26467a3663aaa4267eb21d5b2afda2613954933956980e490f669c2a8c5de0a5716cc9b15fff399ad7dd9c399316834a720e43180bf135
AXE=4.14.1
AXE_SHA512=1477dafa598d8d065f273d6af302aa203c02e83131707b7fa648cd41bd3d6b734f8c22a0dab86ee6a6f64b8afbe804b214d36db85a2826965edfb3a0b9d546b5

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# fetch NAME VERSION SHA512: the package unpacked in $work/NAME/package
fetch() {
  local url="https://registry.npmjs.org/$1/-/$1-$2.tgz"
  echo "==> fetching $url"
  curl --fail --silent --show-error --location --output "$work/$1.tgz" "$url"
  echo "$3  $work/$1.tgz" | sha512sum --check --quiet -
  mkdir -p "$work/$1"
  tar -xzf "$work/$1.tgz" -C "$work/$1"
}

# note TARGET NAME VERSION SHA512 LICENSE WHAT: the README.md saying where the files come from
note() {
  cat >"$1/README.md" <<NOTE
$2 $3 ($5, see LICENSE), from the npm registry: https://registry.npmjs.org/$2/-/$2-$3.tgz
(sha512 $4). $6 Fetched again by scripts/vendor-console.sh.
NOTE
}

fetch preact "$PREACT" "$PREACT_SHA512"
target=gateway/static/vendor/preact
mkdir -p "$target"
cp "$work/preact/package/dist/preact.mjs" "$work/preact/package/LICENSE" "$target/"
sed 's/from"preact"/from".\/preact.mjs"/g' "$work/preact/package/hooks/dist/hooks.mjs" >"$target/hooks.mjs"
if grep -q 'from"preact"' "$target/hooks.mjs" || ! grep -q 'from"./preact.mjs"' "$target/hooks.mjs"; then
  echo "hooks.mjs no longer imports \"preact\" as expected: check the rewrite" >&2
  exit 1
fi
note "$target" preact "$PREACT" "$PREACT_SHA512" MIT "dist/preact.mjs unchanged; hooks/dist/hooks.mjs with its import of \"preact\" rewritten to \"./preact.mjs\"."

fetch htm "$HTM" "$HTM_SHA512"
target=gateway/static/vendor/htm
mkdir -p "$target"
cp "$work/htm/package/dist/htm.module.js" "$work/htm/package/LICENSE" "$target/"
note "$target" htm "$HTM" "$HTM_SHA512" Apache-2.0 "dist/htm.module.js unchanged."

fetch axe-core "$AXE" "$AXE_SHA512"
target=tests/e2e/vendor/axe-core
mkdir -p "$target"
cp "$work/axe-core/package/axe.min.js" "$work/axe-core/package/LICENSE" "$work/axe-core/package/LICENSE-3RD-PARTY.txt" "$target/"
note "$target" axe-core "$AXE" "$AXE_SHA512" MPL-2.0 "axe.min.js unchanged, injected by the console's accessibility tests only."

echo "==> preact $PREACT, htm $HTM in gateway/static/vendor/; axe-core $AXE in tests/e2e/vendor/"
