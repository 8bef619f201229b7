// Print the licence texts of the packages esbuild bundles from `entry`
// (found through a metafile build), for editor-static/vendor/*.LICENSES.txt.
// Usage: node licenses.js <install dir> <entry file>
const fs = require("fs");
const path = require("path");
const [dir, entry] = process.argv.slice(2);
const esbuild = require(path.join(dir, "node_modules", "esbuild"));

const result = esbuild.buildSync({ entryPoints: [entry], bundle: true, format: "esm", write: false, metafile: true, absWorkingDir: dir });
const packages = new Set();
for (const input of Object.keys(result.metafile.inputs)) {
  const m = input.match(/node_modules\/((?:@[^/]+\/)?[^/]+)\//);
  if (m) packages.add(m[1]);
}
const out = ["Third-party code bundled into codemirror.min.js, with its licences.\n"];
for (const name of [...packages].sort()) {
  const root = path.join(dir, "node_modules", name);
  const pkg = JSON.parse(fs.readFileSync(path.join(root, "package.json"), "utf8"));
  const file = fs.readdirSync(root).find((f) => /^licen[cs]e/i.test(f));
  out.push(`${"=".repeat(72)}\n${name} ${pkg.version} (${pkg.license})\n${"=".repeat(72)}\n`);
  out.push(file ? fs.readFileSync(path.join(root, file), "utf8").trim() + "\n" : `License: ${pkg.license} (no licence file in the package)\n`);
}
process.stdout.write(out.join("\n"));
