#!/usr/bin/env bash
# Rebuild editor-static/vendor/codemirror.min.js and its licence file from the
# npm packages pinned in package.json / package-lock.json (see README.md).
# Needs node and npm; installs into a temporary directory, never the repo.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
out="$here/../../editor-static/vendor"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

cp "$here/package.json" "$here/codemirror-entry.js" "$work/"
if [ -f "$here/package-lock.json" ]; then
  cp "$here/package-lock.json" "$work/"
  (cd "$work" && npm ci --no-audit --no-fund)
else
  (cd "$work" && npm install --no-audit --no-fund)
  cp "$work/package-lock.json" "$here/package-lock.json"
fi

mkdir -p "$out"
# One ES module, minified; no eval or new Function (the admin CSP forbids them).
"$work/node_modules/.bin/esbuild" "$work/codemirror-entry.js" \
  --bundle --format=esm --minify --target=es2020 --legal-comments=none \
  --outfile="$out/codemirror.min.js"

# The licence of every package that ends up in the bundle.
node "$here/licenses.js" "$work" "$work/codemirror-entry.js" >"$out/codemirror.LICENSES.txt"
echo "wrote $out/codemirror.min.js ($(wc -c <"$out/codemirror.min.js") bytes) and codemirror.LICENSES.txt"
