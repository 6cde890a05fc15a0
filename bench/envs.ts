/**
 * Env-steps per second of the vectorized envs: every registered classic env at 1, 64 and 4096
 * envs, on one thread (VectorEnv) and two (ThreadedVectorEnv over SharedArrayBuffer).
 * Actions are drawn beforehand (uniform over the action space) so that only the envs are timed;
 * autoreset (next-step) runs inside the timed loop, as it does in training.
 *
 *   npm run bench:envs [-- --seconds 2 --envs CartPole-v1 --sizes 1,64,4096]
 *
 * Gymnasium's own figures on this machine kind (../shared/notes/peers.md): numpy
 * CartPoleVectorEnv at 4096 envs 16.9–20.5 M env-steps/s; SyncVectorEnv 8/64 envs 61k/59k.
 */
import { parseArgs } from "node:util";
import { Discrete, listEnvs, makeVec } from "../src/index.js";
import { makeThreadedVec } from "../src/node/index.js";
import type { VectorEnv } from "../src/envs/vector.js";

const { values } = parseArgs({
  options: {
    seconds: { type: "string", default: "1.5" },
    envs: { type: "string", default: listEnvs().filter((s) => s.id !== "CartPole-v0" && !s.id.includes("/")).map((s) => s.id).join(",") },
    sizes: { type: "string", default: "1,64,4096" },
    threads: { type: "string", default: "1,2" },
  },
});
const seconds = Number(values.seconds);
const sizes = values.sizes!.split(",").map(Number);
const threadCounts = values.threads!.split(",").map(Number);

function actionBuffers(vec: VectorEnv, count: number): Float64Array[] {
  const space = vec.singleActionSpace;
  space.seed(0);
  return Array.from({ length: count }, () => {
    const a = new Float64Array(vec.numEnvs * vec.actionSize);
    for (let i = 0; i < vec.numEnvs; i++) {
      if (space instanceof Discrete) a[i] = space.sample();
      else a.set(space.sample(), i * vec.actionSize);
    }
    return a;
  });
}

function measure(vec: VectorEnv): number {
  const buffers = actionBuffers(vec, 16);
  vec.reset({ seed: 0 });
  const batch = Math.max(1, Math.round(20000 / vec.numEnvs));
  // warm-up, so the optimizing compiler has seen the loop
  for (let k = 0; k < batch * 4; k++) vec.step(buffers[k % 16]!);
  let steps = 0;
  const start = performance.now();
  let now = start;
  while (now - start < seconds * 1000) {
    for (let k = 0; k < batch; k++) vec.step(buffers[steps++ % 16]!);
    now = performance.now();
  }
  return (steps * vec.numEnvs) / ((now - start) / 1000);
}

const format = (sps: number) => (sps >= 1e6 ? `${(sps / 1e6).toFixed(1)} M` : `${(sps / 1e3).toFixed(0)} k`);
console.log(`env-steps/s (node ${process.version}, ${seconds} s per cell)`);
console.log(["env", ...sizes.flatMap((n) => threadCounts.map((t) => `${n} envs/${t}T`))].map((c) => c.padEnd(26)).join(""));
for (const id of values.envs!.split(",")) {
  const cells: string[] = [];
  for (const n of sizes) {
    for (const t of threadCounts) {
      if (t > 1 && n < t * 32) {
        cells.push("-");
        continue;
      }
      const vec = t === 1 ? makeVec(id, { numEnvs: n, vectorizationMode: "kernel" }) : await makeThreadedVec(id, { numEnvs: n, threads: t });
      cells.push(format(measure(vec)));
      vec.close();
    }
  }
  console.log([id, ...cells].map((c) => c.padEnd(26)).join(""));
}
