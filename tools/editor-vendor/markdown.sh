#!/usr/bin/env bash
# Rebuild editor-static/vendor/markdown.min.js (marked + DOMPurify, one
# minified ES module) and markdown.LICENSES.txt from the npm packages pinned
# in markdown/package.json and markdown/package-lock.json (README-markdown.md).
# Needs node and npm; installs into a temporary directory, never the repo.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
src="$here/markdown"
out="$here/../../editor-static/vendor"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

cp "$src/package.json" "$src/entry.js" "$work/"
if [ -f "$src/package-lock.json" ]; then
  cp "$src/package-lock.json" "$work/"
  (cd "$work" && npm ci --no-audit --no-fund)
else
  (cd "$work" && npm install --no-audit --no-fund)
  cp "$work/package-lock.json" "$src/package-lock.json"
fi

mkdir -p "$out"
# No eval or new Function in either package: usable under the admin CSP.
"$work/node_modules/.bin/esbuild" "$work/entry.js" \
  --bundle --format=esm --minify --target=es2020 --legal-comments=none \
  --outfile="$out/markdown.min.js"

# The bundle holds exactly these two packages (neither has dependencies).
{
  echo "Third-party code bundled into markdown.min.js, with its licences."
  for name in marked dompurify; do
    dir="$work/node_modules/$name"
    version="$(node -p "require('$dir/package.json').version")"
    license="$(node -p "require('$dir/package.json').license")"
    echo
    printf '=%.0s' {1..72}; echo
    echo "$name $version ($license)"
    printf '=%.0s' {1..72}; echo
    cat "$dir"/LICENSE*
  done
} >"$out/markdown.LICENSES.txt"
echo "wrote $out/markdown.min.js ($(wc -c <"$out/markdown.min.js") bytes) and markdown.LICENSES.txt"
