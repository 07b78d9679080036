// Builds dist/map.js from src/ with esbuild, and stamps it with a digest of what it is built
// from (the sources and the lockfile), which tests/test_map_bundle.py recomputes so that a
// committed bundle older than its sources fails the tests without npm.
import { build } from "esbuild";
import { createHash } from "node:crypto";
import { readFileSync, readdirSync } from "node:fs";

export function sourceDigest() {
  const hash = createHash("sha256");
  const files = readdirSync("src").filter((f) => f.endsWith(".js")).sort().map((f) => `src/${f}`);
  for (const file of [...files, "package-lock.json"]) {
    hash.update(`${file}\n`);
    hash.update(readFileSync(file));
    hash.update("\n");
  }
  return hash.digest("hex");
}

await build({
  entryPoints: ["src/main.js"],
  bundle: true,
  format: "iife",
  target: "es2022",
  outfile: "dist/map.js",
  legalComments: "none",
  banner: { js: `/* matryoshka map bundle; sources ${sourceDigest()}; rebuild: cd frontend/map && npm ci && npm run build */` },
});
