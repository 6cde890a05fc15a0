/**
 * MuJoCo env steps/s beside mujoco-js's raw rate, for every MuJoCo env, so the wrapper's overhead
 * is visible: raw = `frameSkip` × `mj_step` + `mj_rnePostConstraint` per env step on the env's own
 * model (what one env step costs MuJoCo; `mj_resetData` at the steps where the env's run reset, so
 * both visit alike states), single = the env's `step`, vector = SyncVectorEnv of 8 (env-steps/s).
 * The same uniform random actions for all three. Best of 3 rounds (the machine is shared).
 *
 *   node --import tsx bench/offpolicy-mujoco-speed.ts [--steps 5000] [--env Hopper-v5]
 */
import type { MujocoEnv } from "../src/envs/mujoco/index.js";
import { MUJOCO_ENV_IDS, loadMujoco, registerMujocoEnvs } from "../src/envs/mujoco/index.js";
import { instantiate, spec } from "../src/envs/registry.js";
import { SyncVectorEnv } from "../src/envs/sync-vector.js";
import { Random } from "../src/rng/random.js";

const argv = process.argv.slice(2);
const flag = (name: string) => (argv.includes(name) ? argv[argv.indexOf(name) + 1] : undefined);
const steps = Number(flag("--steps") ?? 5000);
const ids = flag("--env") ? [flag("--env")!] : MUJOCO_ENV_IDS;
const mujoco = await loadMujoco();
await registerMujocoEnvs();
/** the bare env (no time limit or checker: their cost is not MuJoCo's) */
const build = (id: string) => instantiate(spec(id)) as MujocoEnv;

function bench(id: string): void {
  const probe = build(id);
  const nu = probe.actionSpace.shape[0]!, frameSkip = probe.frameSkip;
  const rng = new Random(0);
  const actions = Float32Array.from({ length: 4096 * nu }, () => rng.random() * 2 - 1);
  const actionAt = (i: number, out: Float32Array) => out.set(actions.subarray((i & 4095) * nu, ((i & 4095) + 1) * nu));

  const resets: number[] = [];
  const single = (): number => {
    const env = build(id);
    env.reset({ seed: 0 });
    const a = new Float32Array(nu);
    resets.length = 0;
    const t = performance.now();
    for (let i = 0; i < steps; i++) {
      actionAt(i, a);
      const r = env.step(a);
      if (r[2] || (i + 1) % 1000 === 0) {
        env.reset();
        resets.push(i);
      }
    }
    return steps / ((performance.now() - t) / 1000);
  };

  const raw = (): number => {
    const env = build(id);
    env.reset({ seed: 0 });
    const { model, data } = env;
    const a = new Float32Array(nu);
    let next = 0;
    const t = performance.now();
    for (let i = 0; i < steps; i++) {
      actionAt(i, a);
      (data.ctrl as Float64Array).set(a);
      for (let k = 0; k < frameSkip; k++) mujoco.mj_step(model, data);
      mujoco.mj_rnePostConstraint(model, data);
      if (resets[next] === i) {
        mujoco.mj_resetData(model, data);
        next++;
      }
    }
    return steps / ((performance.now() - t) / 1000);
  };

  const vector = (n: number): number => {
    const vec = new SyncVectorEnv(Array.from({ length: n }, () => () => build(id)), { autoresetMode: "same-step" });
    vec.reset({ seed: 0 });
    const a = new Float32Array(n * nu);
    const t = performance.now();
    for (let i = 0; i < steps / n; i++) {
      for (let k = 0; k < n; k++) a.set(actions.subarray(((i * n + k) & 4095) * nu, (((i * n + k) & 4095) + 1) * nu), k * nu);
      vec.step(a);
    }
    return steps / ((performance.now() - t) / 1000);
  };

  const best = (f: () => number) => Math.max(f(), f(), f());
  const s = best(single), r = best(raw), v = best(() => vector(8));
  const pct = (x: number) => `${((x / r) * 100).toFixed(0)} %`;
  console.log(`| ${id} | ${frameSkip} | ${Math.round(r).toLocaleString("en")} | ${Math.round(s).toLocaleString("en")} (${pct(s)}) | ${Math.round(v).toLocaleString("en")} (${pct(v)}) |`);
}

console.log(`MuJoCo ${mujoco.mj_versionString()} (mujoco-js WebAssembly), ${steps} env steps per measurement, best of 3, uniform random actions`);
console.log("| env | frame skip | raw mj_step × skip + rnePostConstraint (steps/s) | env.step (steps/s, % of raw) | SyncVectorEnv × 8 (env-steps/s, % of raw) |");
console.log("|---|---|---|---|---|");
for (const id of ids) bench(id);
