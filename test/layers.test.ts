/** The core below track/ must run in a browser: no Node built-ins, no Node globals. */
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";

const BROWSER_SAFE = ["src/rng", "src/envs", "src/nn", "src/algos", "src/data", "src/util", "src/plot", "src/stats", "src/export"];

function files(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? files(join(dir, e.name)) : e.name.endsWith(".ts") ? [join(dir, e.name)] : []));
}

test("the core imports nothing Node-only", () => {
  const offenders: string[] = [];
  for (const file of BROWSER_SAFE.flatMap(files)) {
    const code = readFileSync(file, "utf8").replace(/\/\*[\s\S]*?\*\/|\/\/.*$/gm, "");
    for (const pattern of [/from\s+["']node:/, /from\s+["'](fs|path|os|child_process|worker_threads)["']/, /\bprocess\./, /\bBuffer\./, /\brequire\(/]) {
      if (pattern.test(code)) offenders.push(`${file}: ${pattern}`);
    }
    for (const m of code.matchAll(/from\s+["'](\.\.?\/[^"']+)["']/g)) {
      if (/\/(node|cli|track|dashboard)\//.test(join(file, "..", m[1]!))) offenders.push(`${file} imports ${m[1]}`);
    }
  }
  assert.deepEqual(offenders, []);
});
