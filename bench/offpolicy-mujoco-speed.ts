/**
 * MuJoCo env steps/s beside mujoco-js's raw rate, so the wrapper's overhead is visible:
 * raw = `frameSkip` × `mj_step` + `mj_rnePostConstraint` per env step (what one env step costs
 * MuJoCo; `mj_resetData` where the env would end the episode), single = InvertedPendulumEnv.step, vector = SyncVectorEnv of 8 (env-steps/s).
 * Random actions; episodes reset when they end. Best of 3 rounds (the machine is shared).
 *
 *   node --import tsx bench/offpolicy-mujoco-speed.ts [--steps 20000]
 */
import { SyncVectorEnv } from "../src/envs/sync-vector.js";
import { InvertedPendulumEnv, loadMujoco } from "../src/envs/mujoco/index.js";
import { Random } from "../src/rng/random.js";

const argv = process.argv.slice(2);
const steps = Number(argv[argv.indexOf("--steps") + 1] || 20000);
const mujoco = await loadMujoco();
const rng = new Random(0);
const actions = Float32Array.from({ length: 4096 }, () => rng.random() * 6 - 3);

function raw(): number {
  const env = new InvertedPendulumEnv(mujoco);
  env.reset({ seed: 0 });
  const { model, data } = env;
  const ctrl = data.ctrl as Float64Array, qpos = data.qpos as Float64Array;
  const t = performance.now();
  for (let i = 0; i < steps; i++) {
    ctrl[0] = actions[i & 4095]!;
    mujoco.mj_step(model, data);
    mujoco.mj_step(model, data);
    mujoco.mj_rnePostConstraint(model, data);
    if (Math.abs(qpos[1]!) > 0.2) mujoco.mj_resetData(model, data); // the same episodes as the env's (without its reset noise)
  }
  return steps / ((performance.now() - t) / 1000);
}

function single(): number {
  const env = new InvertedPendulumEnv(mujoco);
  env.reset({ seed: 0 });
  const a = new Float32Array(1);
  const t = performance.now();
  for (let i = 0; i < steps; i++) {
    a[0] = actions[i & 4095]!;
    if (env.step(a)[2]) env.reset();
  }
  return steps / ((performance.now() - t) / 1000);
}

function vector(n: number): number {
  const vec = new SyncVectorEnv(Array.from({ length: n }, () => () => new InvertedPendulumEnv(mujoco)), { autoresetMode: "same-step" });
  vec.reset({ seed: 0 });
  const a = new Float32Array(n);
  const t = performance.now();
  for (let i = 0; i < steps / n; i++) {
    for (let k = 0; k < n; k++) a[k] = actions[(i * n + k) & 4095]!;
    vec.step(a);
  }
  return steps / ((performance.now() - t) / 1000);
}

const best = (f: () => number) => Math.max(f(), f(), f());
const r = best(raw), s = best(single), v = best(() => vector(8));
console.log(`InvertedPendulum-v5 (MuJoCo ${mujoco.mj_versionString()} WebAssembly), ${steps} env steps, best of 3`);
console.log(`raw mj_step ×2 + mj_rnePostConstraint  ${Math.round(r).toLocaleString("en")} steps/s`);
console.log(`InvertedPendulumEnv.step               ${Math.round(s).toLocaleString("en")} steps/s (${(s / r * 100).toFixed(0)} % of raw)`);
console.log(`SyncVectorEnv × 8                      ${Math.round(v).toLocaleString("en")} env-steps/s (${(v / r * 100).toFixed(0)} % of raw)`);
