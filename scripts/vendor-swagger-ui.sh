#!/usr/bin/env bash
# Fetch the pinned swagger-ui-dist from the npm registry, check it against the pinned digest, and copy the files
# the gateway's /docs page uses into gateway/static/vendor/swagger-ui/ (the page must work offline and under a
# Content-Security-Policy that allows only the gateway's own files).
# To move to another version: change VERSION and SHA512 (`npm view swagger-ui-dist@VERSION dist.integrity`,
# base64-decoded to hex), run this script, and check /docs in tests/e2e/test_ui.py.
# Usage: scripts/vendor-swagger-ui.sh
set -euo pipefail
cd "$(dirname "$0")/.."

VERSION=5.35.0
SHA512=534eaba4cb56f55dd73c638179a993512af4674f63317e0826e00da44fc465b021c341bc0a0c2bcd4e18997927fe1d3008336c5dd19aad334d1c2dec53cc9551
TARBALL_URL="https://registry.npmjs.org/swagger-ui-dist/-/swagger-ui-dist-${VERSION}.tgz"
FILES=(swagger-ui-bundle.js swagger-ui-bundle.js.LICENSE.txt swagger-ui.css favicon-32x32.png LICENSE NOTICE)
TARGET=gateway/static/vendor/swagger-ui

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

echo "==> fetching $TARBALL_URL"
curl --fail --silent --show-error --location --output "$work/package.tgz" "$TARBALL_URL"
echo "$SHA512  $work/package.tgz" | sha512sum --check --quiet -
tar -xzf "$work/package.tgz" -C "$work"

mkdir -p "$TARGET"
for file in "${FILES[@]}"; do
  cp "$work/package/$file" "$TARGET/$file"
done
cat >"$TARGET/README.md" <<EOF
swagger-ui-dist ${VERSION} (Apache-2.0, see LICENSE and NOTICE), unchanged, from the npm registry:
${TARBALL_URL} (sha512 ${SHA512}). Only the files /docs uses; fetched again by scripts/vendor-swagger-ui.sh.
EOF
echo "==> swagger-ui-dist $VERSION in $TARGET"
