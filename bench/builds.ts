/**
 * The same measurements on two builds in one process, rounds alternating: this checkout and
 * another (e.g. a worktree of an earlier commit), to show a change's cost without the drift of
 * runs made on other days. Kernel vector-env steps/s (CartPole at 1, 64, 4096 envs) and PPO
 * CartPole wall-clock.
 *   git worktree add /tmp/before <commit> && (cd /tmp/before && npm run build:wasm)
 *   node --import tsx bench/builds.ts --other /tmp/before [--rounds 3]
 */
import { resolve } from "node:path";
import { parseArgs } from "node:util";
import { pathToFileURL } from "node:url";

const { values } = parseArgs({ options: { other: { type: "string" }, rounds: { type: "string", default: "3" }, seconds: { type: "string", default: "1" } } });
if (!values.other) throw new Error("pass --other <path of another checkout>");

interface Build {
  name: string;
  tsrl: {
    makeVec(id: string, o: object): { numEnvs: number; reset(a: object): unknown; step(a: ArrayLike<number>): unknown };
    PPO: new (c: object) => { learn(): { wall_s: number; final_mean_return: number } };
  };
}
const builds: Build[] = [
  { name: "this checkout", tsrl: (await import("../src/index.js")) as unknown as Build["tsrl"] },
  { name: values.other, tsrl: (await import(pathToFileURL(resolve(values.other, "src/index.ts")).href)) as Build["tsrl"] },
];

function stepsPerSecond(b: Build, numEnvs: number): number {
  const vec = b.tsrl.makeVec("CartPole-v1", { numEnvs, ...(b === builds[0] ? { vectorizationMode: "kernel" } : {}) });
  vec.reset({ seed: 0 });
  const actions = Int32Array.from({ length: numEnvs * 16 }, (_, i) => (i * 2654435761) % 2);
  let steps = 0;
  const start = performance.now();
  while (performance.now() - start < Number(values.seconds) * 1000) {
    for (let t = 0; t < 16; t++) vec.step(actions.subarray(0, numEnvs));
    steps += 16 * numEnvs;
  }
  return steps / ((performance.now() - start) / 1000);
}

const results = new Map<string, number[]>();
const add = (key: string, v: number) => results.set(key, [...(results.get(key) ?? []), v]);
for (let round = 0; round < Number(values.rounds); round++) {
  const order = round % 2 === 0 ? builds : [...builds].reverse();
  for (const b of order) {
    for (const n of [1, 64, 4096]) add(`${b.name}|CartPole ${n} envs (M steps/s)`, stepsPerSecond(b, n) / 1e6);
    const r = new b.tsrl.PPO({ envId: "CartPole-v1", seed: 1, totalTimesteps: 100_000 }).learn();
    add(`${b.name}|PPO CartPole 100k (s)`, r.wall_s);
  }
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const metrics = [...new Set([...results.keys()].map((k) => k.split("|")[1]!))];
console.log(`medians of ${values.rounds} alternating rounds`);
console.log(["measure", ...builds.map((b) => b.name), "this / other"].join(" | "));
for (const m of metrics) {
  const [a, b] = builds.map((x) => median(results.get(`${x.name}|${m}`)!));
  console.log([m, a!.toFixed(3), b!.toFixed(3), (a! / b!).toFixed(3)].join(" | "));
}
