#!/usr/bin/env bash
# Fetch the pinned @asyncapi/specs from the npm registry, check the tarball against its pinned digest, and copy the
# AsyncAPI 3.0.0 JSON Schema (its form with local references only, which validates offline) into
# tests/unit/contracts/vendor/asyncapi-specs/, where tests/unit/contracts/test_asyncapi.py checks contracts/asyncapi.json
# against it. To move to another version: change VERSION and SHA512 below (`npm view @asyncapi/specs@VERSION
# dist.integrity`, base64-decoded to hex), run this script, and run that test.
# Usage: scripts/vendor-asyncapi-schema.sh
set -euo pipefail
cd "$(dirname "$0")/.."

VERSION=6.11.1
SHA512=0375812ea00a1a8276fba15616da63065090d6814272ce06c45ef3b081af36aa7f9251941e3940dda01c67d5cc3292c613cccf7980f3db1f4598ee834ae2ab69
URL="https://registry.npmjs.org/@asyncapi/specs/-/specs-$VERSION.tgz"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
echo "==> fetching $URL"
curl --fail --silent --show-error --location --output "$work/specs.tgz" "$URL"
echo "$SHA512  $work/specs.tgz" | sha512sum --check --quiet -
tar -xzf "$work/specs.tgz" -C "$work"

target=tests/unit/contracts/vendor/asyncapi-specs
mkdir -p "$target"
cp "$work/package/schemas/3.0.0-without-\$id.json" "$target/asyncapi-3.0.0.json"
cp "$work/package/LICENSE" "$target/"
cat >"$target/README.md" <<NOTE
@asyncapi/specs $VERSION (Apache-2.0, see LICENSE), from the npm registry: $URL
(sha512 $SHA512). asyncapi-3.0.0.json is the package's schemas/3.0.0-without-\$id.json, unchanged: the AsyncAPI
3.0.0 JSON Schema (draft-07) with local references only, so it validates offline. Fetched again by
scripts/vendor-asyncapi-schema.sh.
NOTE
echo "==> $target"
