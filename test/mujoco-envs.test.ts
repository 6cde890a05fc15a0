/**
 * Gymnasium's v5 MuJoCo envs (Hopper, Walker2d, HalfCheetah, InvertedDoublePendulum, Reacher): every
 * reward term, info term and termination rule recomputed by hand from the state MuJoCo holds after
 * the step, observation layouts, reset noise against numpy's draws, and fixed-action determinism
 * (two runs, `makeVec`). Expected draws come from numpy 2.4 (`default_rng(seed)`).
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { before, test } from "node:test";
import type { MainModule } from "mujoco-js";
import {
  AntEnv, HalfCheetahEnv, HopperEnv, InvertedDoublePendulumEnv, type MujocoEnv, MUJOCO_ENV_IDS, ReacherEnv, Walker2dEnv, loadMujoco, registerMujocoEnvs,
} from "../src/envs/mujoco/index.js";
import { make, makeVec, spec } from "../src/envs/registry.js";

let mujoco: MainModule;
before(async () => {
  mujoco = await loadMujoco();
  await registerMujocoEnvs();
});

const arr = (v: unknown) => Array.from(v as Float64Array);
const qposOf = (env: MujocoEnv) => arr(env.data.qpos);
const qvelOf = (env: MujocoEnv) => arr(env.data.qvel);
const clip = (x: number, c: number) => Math.min(c, Math.max(-c, x));
const sumSq = (a: ArrayLike<number>) => Array.from(a).reduce((s, x) => s + x * x, 0);
const close = (a: number, b: number, what: string, tol = 1e-12) => assert.ok(Math.abs(a - b) <= tol * Math.max(1, Math.abs(b)), `${what}: ${a} vs ${b}`);
/** a fixed, varied action sequence inside [−1, 1] */
const actionAt = (t: number, n: number) => Float32Array.from({ length: n }, (_, i) => Math.sin(0.7 * t + 1.3 * i) * 0.8);
/** puts qpos/qvel into the env (Gymnasium's set_state) */
const setQ = (env: MujocoEnv, qpos: number[], qvel: number[]) => env.setState({ ...env.getState(), qpos, qvel, xpos: undefined });

interface RunnerRule {
  ctrlCostWeight: number;
  clip: number;
  /** the health rule by hand from qpos, qvel; null when the env has none */
  healthy: ((q: number[], v: number[]) => boolean) | null;
}
const HOPPER_RULE: RunnerRule = {
  ctrlCostWeight: 1e-3,
  clip: 10,
  healthy: (q, v) => [...q.slice(2), ...v].every((s) => -100 < s && s < 100) && 0.7 < q[1]! && -0.2 < q[2]! && q[2]! < 0.2,
};
const WALKER_RULE: RunnerRule = { ctrlCostWeight: 1e-3, clip: 10, healthy: (q) => 0.8 < q[1]! && q[1]! < 2 && -1 < q[2]! && q[2]! < 1 };
const CHEETAH_RULE: RunnerRule = { ctrlCostWeight: 0.1, clip: Infinity, healthy: null };

/** One step of a planar runner checked term by term against the state after it; returns whether it was healthy. */
function checkRunnerStep(env: HopperEnv | Walker2dEnv | HalfCheetahEnv, action: Float32Array, rule: RunnerRule, excludeX = true): boolean {
  const xBefore = qposOf(env)[0]!;
  const [obs, reward, terminated, truncated, info] = env.step(action);
  const q = qposOf(env), v = qvelOf(env);
  assert.deepEqual(Array.from(obs), [...q.slice(excludeX ? 1 : 0), ...v.map((x) => clip(x, rule.clip))], "observation = qpos[1:] ⊕ clip(qvel)");
  const xVelocity = (q[0]! - xBefore) / env.dt;
  const ctrl = rule.ctrlCostWeight * sumSq(action);
  close(info.x_position as number, q[0]!, "x_position");
  close(info.x_velocity as number, xVelocity, "x_velocity");
  close(info.reward_forward as number, xVelocity, "reward_forward");
  close(info.reward_ctrl as number, -ctrl, "reward_ctrl");
  assert.equal(truncated, false);
  if (!rule.healthy) {
    assert.deepEqual(Object.keys(info).sort(), ["reward_ctrl", "reward_forward", "x_position", "x_velocity"]);
    close(reward, xVelocity - ctrl, "reward");
    assert.equal(terminated, false);
    return true;
  }
  const healthy = rule.healthy(q, v);
  assert.deepEqual(Object.keys(info).sort(), ["reward_ctrl", "reward_forward", "reward_survive", "x_position", "x_velocity", "z_distance_from_origin"]);
  close(info.z_distance_from_origin as number, q[1]! - env.initQpos[1]!, "z_distance_from_origin");
  assert.equal(info.reward_survive, healthy ? 1 : 0);
  close(reward, xVelocity + (healthy ? 1 : 0) - ctrl, "reward");
  assert.equal(terminated, !healthy);
  assert.equal(env.isHealthy, healthy);
  return healthy;
}

test("Hopper-v5: spaces, dt, init state, reset noise as numpy draws it, and every term of 200 steps by hand", () => {
  const env = new HopperEnv(mujoco);
  assert.deepEqual(env.observationSpace.shape, [11]);
  assert.deepEqual([Array.from(env.actionSpace.low), Array.from(env.actionSpace.high)], [[-1, -1, -1], [1, 1, 1]]);
  close(env.dt, 0.008, "dt", 0);
  assert.equal(env.metadata.renderFps, 125);
  assert.deepEqual(Array.from(env.initQpos), [0, 1.25, 0, 0, 0, 0]); // rootz's ref 1.25
  const [obs, info] = env.reset({ seed: 42 });
  // numpy: rng = default_rng(42); rng.uniform(-0.005, 0.005, 6) for qpos, then 6 more for qvel
  const dq = [0.0027395604855596336, -0.0006112156024794769, 0.003585979199113825, 0.001973680290593639, -0.0040582265211235044, 0.004756223516367559];
  const dv = [0.00261139701990353, 0.0028606430527695374, -0.003718863673244541, -0.0004961406210443288, -0.0012920197576741879, 0.004267649888486018];
  assert.deepEqual(Array.from(obs), [...dq.slice(1).map((d, i) => env.initQpos[i + 1]! + d), ...dv]);
  assert.deepEqual(info, { x_position: dq[0], z_distance_from_origin: 1.25 + dq[1]! - 1.25 });
  let healthySteps = 0, ended = false;
  for (let t = 0; t < 200 && !ended; t++) {
    if (checkRunnerStep(env, actionAt(t, 3), HOPPER_RULE)) healthySteps++;
    else ended = true;
  }
  assert.ok(ended && healthySteps > 5, `the hopper falls under this open-loop sequence after ${healthySteps} healthy steps`);

  const wide = new HopperEnv(mujoco, { excludeCurrentPositionsFromObservation: false });
  assert.deepEqual(wide.observationSpace.shape, [12]);
  wide.reset({ seed: 1 });
  checkRunnerStep(wide, actionAt(0, 3), HOPPER_RULE, false);
});

test("Hopper-v5: each health rule ends the episode on its own (z, angle, state range), and not when terminate_when_unhealthy is false", () => {
  const env = new HopperEnv(mujoco);
  const zero = Float32Array.of(0, 0, 0);
  const cases: [string, number[], number[]][] = [
    ["z ≤ 0.7", [0, 0.5, 0, 0, 0, 0], [0, 0, 0, 0, 0, 0]],
    ["angle ≥ 0.2", [0, 1.25, 0.3, 0, 0, 0], [0, 0, 0, 0, 0, 0]],
    ["angle ≤ −0.2", [0, 1.25, -0.3, 0, 0, 0], [0, 0, 0, 0, 0, 0]],
    ["a joint velocity ≥ 100", [0, 1.25, 0, 0, 0, 0], [0, 0, 0, 150, 0, 0]],
  ];
  for (const [what, q, v] of cases) {
    env.reset({ seed: 0 });
    setQ(env, q, v);
    assert.equal(checkRunnerStep(env, zero, HOPPER_RULE), false, what);
  }
  env.reset({ seed: 0 });
  assert.equal(checkRunnerStep(env, zero, HOPPER_RULE), true, "upright after a reset");
  const lenient = new HopperEnv(mujoco, { terminateWhenUnhealthy: false });
  lenient.reset({ seed: 0 });
  setQ(lenient, [0, 0.5, 0, 0, 0, 0], [0, 0, 0, 0, 0, 0]);
  const [, , terminated, , info] = lenient.step(zero);
  assert.deepEqual([terminated, info.reward_survive], [false, 0]);
});

test("Walker2d-v5: reset noise, every term by hand, z above 2 or below 0.8 and |angle| ≥ 1 end the episode", () => {
  const env = new Walker2dEnv(mujoco);
  assert.deepEqual(env.observationSpace.shape, [17]);
  assert.equal(env.actionSpace.shape[0], 6);
  close(env.dt, 0.008, "dt", 0);
  const [obs] = env.reset({ seed: 42 });
  const q0 = Array.from(env.initQpos);
  // the first 9 uniform(-0.005, 0.005) draws of default_rng(42) (Hopper's 6, then 3 of the next)
  const dq = [0.0027395604855596336, -0.0006112156024794769, 0.003585979199113825, 0.001973680290593639, -0.0040582265211235044, 0.004756223516367559, 0.00261139701990353, 0.0028606430527695374, -0.003718863673244541];
  assert.deepEqual(Array.from(obs.subarray(0, 8)), dq.slice(1).map((d, i) => q0[i + 1]! + d));
  let healthy = true, t = 0;
  for (; t < 300 && healthy; t++) healthy = checkRunnerStep(env, actionAt(t, 6), WALKER_RULE);
  assert.ok(!healthy && t > 5, `falls after ${t} steps`);
  const zero = new Float32Array(6);
  for (const [what, z, angle] of [["z ≤ 0.8", 0.5, 0], ["z ≥ 2", 2.5, 0], ["angle ≥ 1", 1.25, 1.3], ["angle ≤ −1", 1.25, -1.3]] as const) {
    env.reset({ seed: 0 });
    setQ(env, [0, z, angle, 0, 0, 0, 0, 0, 0], new Array(9).fill(0));
    assert.equal(checkRunnerStep(env, zero, WALKER_RULE), false, what);
  }
});

test("HalfCheetah-v5: qvel's reset noise from numpy's standard_normal, unclipped velocities, never terminates", () => {
  const env = new HalfCheetahEnv(mujoco);
  assert.deepEqual(env.observationSpace.shape, [17]);
  close(env.dt, 0.05, "dt", 1e-15);
  const [obs, info] = env.reset({ seed: 42 });
  // numpy: rng.uniform(-0.1, 0.1, 9), then 0.1 * rng.standard_normal(9)
  const dq = [0.05479120971119267, -0.012224312049589542, 0.07171958398227649, 0.039473605811872786, -0.0811645304224701, 0.09512447032735119, 0.052227940398070605, 0.05721286105539078, -0.07437727346489083];
  const dv = [-0.08530439275735802, 0.08793979748628286, 0.07777919354289484, 0.006603069756121605, 0.11272412069680329, 0.046750934225204564, -0.08592924628832382, 0.036875078408249884, -0.0958882600828999];
  assert.deepEqual(Array.from(obs), [...dq.slice(1), ...dv]);
  assert.deepEqual(info, { x_position: dq[0] });
  for (let t = 0; t < 300; t++) checkRunnerStep(env, actionAt(t, 6), CHEETAH_RULE);
  setQ(env, qposOf(env), [0, 0, 0, 40, 0, 0, 0, 0, 0]);
  checkRunnerStep(env, new Float32Array(6), CHEETAH_RULE);
  assert.ok(Math.max(...qvelOf(env).map(Math.abs)) > 10, "a velocity beyond 10 reaches the observation unclipped");
});

test("InvertedDoublePendulum-v5: observation, tip position from the hinge angles, every reward term and y ≤ 1 by hand", () => {
  const env = new InvertedDoublePendulumEnv(mujoco);
  assert.deepEqual(env.observationSpace.shape, [9]);
  assert.deepEqual([Array.from(env.actionSpace.low), Array.from(env.actionSpace.high)], [[-1], [1]]);
  close(env.dt, 0.05, "dt", 1e-15);
  const [obs, info] = env.reset({ seed: 42 });
  // numpy: rng.uniform(-0.1, 0.1, 3), then rng.standard_normal(3) * 0.1
  const dq = [0.05479120971119267, -0.012224312049589542, 0.07171958398227649];
  const dv = [0.0940564716391214, -0.19510351886538366, -0.13021795068623182];
  assert.deepEqual(info, {});
  assert.deepEqual(Array.from(obs.subarray(0, 8)), [dq[0], Math.sin(dq[1]!), Math.sin(dq[2]!), Math.cos(dq[1]!), Math.cos(dq[2]!), ...dv]);
  let terminated = false, steps = 0;
  for (; !terminated && steps < 200; steps++) {
    const a = Float32Array.of(Math.sin(steps) * 0.3);
    const r = env.step(a);
    terminated = r[2];
    const q = qposOf(env), v = qvelOf(env);
    const site = arr(env.data.site_xpos);
    const frc = arr(env.data.qfrc_constraint)[0]!;
    assert.deepEqual(Array.from(r[0]), [q[0], Math.sin(q[1]!), Math.sin(q[2]!), Math.cos(q[1]!), Math.cos(q[2]!), ...v.map((s) => clip(s, 10)), clip(frc, 10)]);
    const dist = 0.01 * site[0]! ** 2 + (site[2]! - 2) ** 2, vel = 1e-3 * v[1]! ** 2 + 5e-3 * v[2]! ** 2;
    assert.equal(terminated, site[2]! <= 1);
    const alive = terminated ? 0 : 10;
    assert.deepEqual(r[4], { reward_survive: alive, distance_penalty: -dist, velocity_penalty: -vel });
    close(r[1], alive - dist - vel, "reward");
    // positions after mj_step come from its last substep's kinematics (in Gymnasium too); recomputed
    // for the current qpos, the tip is where two 0.6 m links hinged about y put it
    mujoco.mj_kinematics(env.model, env.data);
    const tip = arr(env.data.site_xpos);
    close(tip[0]!, q[0]! + 0.6 * Math.sin(q[1]!) + 0.6 * Math.sin(q[1]! + q[2]!), "tip x");
    close(tip[2]!, 0.6 * Math.cos(q[1]!) + 0.6 * Math.cos(q[1]! + q[2]!), "tip y");
  }
  assert.ok(terminated && steps > 1, `falls below y = 1 after ${steps} steps`);
});

test("Reacher-v5: the goal redrawn until inside the 0.2 disc (as numpy draws it), target at rest, every term from the arm's geometry", () => {
  const env = new ReacherEnv(mujoco);
  assert.deepEqual(env.observationSpace.shape, [10]);
  close(env.dt, 0.02, "dt", 1e-15);
  assert.deepEqual(Array.from(env.initQpos), [0, 0, 0.1, -0.1]); // the target's slide joints have ref ±0.1
  const [obs] = env.reset({ seed: 42 });
  // numpy: q = rng.uniform(-0.1, 0.1, 4); goal = rng.uniform(-0.2, 0.2, 2) twice (the first pair lies outside the disc); v = rng.uniform(-0.005, 0.005, 4)
  const q = [0.05479120971119267, -0.012224312049589542, 0.10445588079614121, 0.11442572211078156];
  const v = [-0.003718863673244541, -0.0004961406210443288, 0, 0];
  assert.deepEqual(qposOf(env), q);
  assert.deepEqual(qvelOf(env), v);
  const tip = (qq: number[]) => [0.1 * Math.cos(qq[0]!) + 0.11 * Math.cos(qq[0]! + qq[1]!) - qq[2]!, 0.1 * Math.sin(qq[0]!) + 0.11 * Math.sin(qq[0]! + qq[1]!) - qq[3]!];
  const [dx0, dy0] = tip(q);
  const expected0 = [Math.cos(q[0]!), Math.cos(q[1]!), Math.sin(q[0]!), Math.sin(q[1]!), q[2]!, q[3]!, v[0]!, v[1]!, dx0!, dy0!];
  for (let i = 0; i < 10; i++) close(obs[i]!, expected0[i]!, `obs[${i}]`, 1e-9);
  for (let t = 0; t < 50; t++) {
    const a = actionAt(t, 2);
    const [o, reward, terminated, truncated, info] = env.step(a);
    const qq = qposOf(env), vv = qvelOf(env), xpos = arr(env.data.xpos);
    const fingertip = mujoco.mj_name2id(env.model, 1, "fingertip"), target = mujoco.mj_name2id(env.model, 1, "target");
    const d = [0, 1, 2].map((k) => xpos[3 * fingertip + k]! - xpos[3 * target + k]!);
    assert.deepEqual(Array.from(o), [Math.cos(qq[0]!), Math.cos(qq[1]!), Math.sin(qq[0]!), Math.sin(qq[1]!), qq[2], qq[3], vv[0], vv[1], d[0], d[1]]);
    assert.deepEqual([qq[2], qq[3], vv[2], vv[3]], [q[2], q[3], 0, 0], "the target does not move");
    close(info.reward_dist as number, -Math.hypot(d[0]!, d[1]!, d[2]!), "reward_dist");
    // positions after mj_step come from its last substep's kinematics (in Gymnasium too); recomputed
    // for the current qpos, fingertip − target is what the arm's two links give
    mujoco.mj_kinematics(env.model, env.data);
    const now = arr(env.data.xpos), [dx, dy] = tip(qq);
    close(now[3 * fingertip]! - now[3 * target]!, dx!, "fingertip − target x");
    close(now[3 * fingertip + 1]! - now[3 * target + 1]!, dy!, "fingertip − target y");
    assert.equal(now[3 * fingertip + 2], now[3 * target + 2], "fingertip and target share their height");
    close(info.reward_ctrl as number, -sumSq(a), "reward_ctrl");
    close(reward, (info.reward_dist as number) + (info.reward_ctrl as number), "reward");
    assert.deepEqual([terminated, truncated], [false, false]);
  }
  env.reset({ seed: 3 }); // numpy: its first goal pair already lies inside the disc
  assert.deepEqual(qposOf(env).slice(2), [-0.16234854310384034, -0.026749223905410485]);
});

test("reset noise stays within each env's documented range, and a seed fixes it", () => {
  const cases: [MujocoEnv, number][] = [[new AntEnv(mujoco), 0.1], [new HopperEnv(mujoco), 0.005], [new Walker2dEnv(mujoco), 0.005], [new HalfCheetahEnv(mujoco), 0.1], [new InvertedDoublePendulumEnv(mujoco), 0.1]];
  for (const [env, scale] of cases) {
    for (let seed = 0; seed < 50; seed++) {
      env.reset({ seed });
      qposOf(env).forEach((x, i) => assert.ok(Math.abs(x - env.initQpos[i]!) <= scale, `${env.constructor.name} seed ${seed} qpos[${i}]`));
    }
    const a = env.reset({ seed: 5 })[0], b = env.reset({ seed: 5 })[0], c = env.reset({ seed: 6 })[0];
    assert.deepEqual(a, b);
    assert.notDeepEqual(a, c);
  }
  const reacher = new ReacherEnv(mujoco);
  for (let seed = 0; seed < 50; seed++) {
    reacher.reset({ seed });
    const q = qposOf(reacher), v = qvelOf(reacher);
    assert.ok(Math.abs(q[0]!) <= 0.1 && Math.abs(q[1]!) <= 0.1 && Math.hypot(q[2]!, q[3]!) < 0.2 && Math.abs(v[0]!) <= 0.005 && Math.abs(v[1]!) <= 0.005);
  }
});

test("registered ids: Gymnasium's time limits and thresholds, kwargs in snake_case, unknown kwargs named", () => {
  const limits: Record<string, [number, number | null]> = {
    "InvertedPendulum-v5": [1000, 950], "InvertedDoublePendulum-v5": [1000, 9100], "Reacher-v5": [50, -3.75],
    "HalfCheetah-v5": [1000, 4800], "Hopper-v5": [1000, 3800], "Walker2d-v5": [1000, null], "Ant-v5": [1000, 6000],
  };
  assert.deepEqual([...MUJOCO_ENV_IDS].sort(), Object.keys(limits).sort());
  for (const [id, [steps, threshold]] of Object.entries(limits)) assert.deepEqual([spec(id).maxEpisodeSteps, spec(id).rewardThreshold], [steps, threshold], id);
  const env = make<Float64Array, Float32Array>("Hopper-v5", { ctrl_cost_weight: 0, healthy_z_range: [0.7, 1.0] });
  env.reset({ seed: 0 });
  const [, , terminated, , info] = env.step(Float32Array.of(1, 1, 1));
  assert.deepEqual([info.reward_ctrl, terminated], [-0, true]); // z ≈ 1.25 is above the narrowed range
  assert.throws(() => make("Hopper-v5", { ctrl_cost: 1 }), /Hopper-v5: unknown option "ctrl_cost"; its options are .*ctrlCostWeight/);
  const reacher = make<Float64Array, Float32Array>("Reacher-v5");
  reacher.reset({ seed: 0 });
  let steps = 0;
  for (let truncated = false; !truncated; steps++) truncated = reacher.step(Float32Array.of(0, 0))[3];
  assert.equal(steps, 50);
});

test("a fixed action sequence gives the same trajectory on every run and in makeVec, for every env", () => {
  for (const id of MUJOCO_ENV_IDS) {
    const roll = (seed: number) => {
      const env = make<Float64Array, Float32Array>(id);
      const n = env.actionSpace.shape[0]!;
      const rows: number[][] = [Array.from(env.reset({ seed })[0])];
      for (let t = 0; t < 40; t++) {
        const [obs, reward, terminated, truncated] = env.step(actionAt(t, n));
        rows.push([...obs, reward, Number(terminated)]);
        if (terminated || truncated) rows.push(Array.from(env.reset()[0]));
      }
      return rows;
    };
    const a = roll(3);
    assert.deepEqual(roll(3), a, id);
    assert.notDeepEqual(roll(4), a, id);

    const vec = makeVec(id, { numEnvs: 2, autoresetMode: "same-step" });
    const singles = [make<Float64Array, Float32Array>(id), make<Float64Array, Float32Array>(id)];
    const n = singles[0]!.actionSpace.shape[0]!, d = singles[0]!.observationSpace.shape[0]!;
    const [first] = vec.reset({ seed: 3 });
    const singleObs = singles.map((e, i) => e.reset({ seed: 3 + i })[0]);
    for (let i = 0; i < 2; i++) for (let k = 0; k < d; k++) assert.equal(first[i * d + k], Math.fround(singleObs[i]![k]!), `${id} reset`);
    const alive = [true, true];
    for (let t = 0; t < 5; t++) {
      const acts = [actionAt(t, n), actionAt(t + 100, n)];
      const batch = new Float32Array(2 * n);
      acts.forEach((x, i) => batch.set(x, i * n));
      const [obs, rewards] = vec.step(batch);
      singles.forEach((e, i) => {
        if (!alive[i]) return;
        const [o, r, term] = e.step(acts[i]!);
        if (term) alive[i] = false;
        else for (let k = 0; k < d; k++) assert.equal(obs[i * d + k], Math.fround(o[k]!), `${id} env ${i} step ${t}`);
        close(rewards[i]!, r, `${id} reward`, 1e-6);
      });
    }
  }
});

test("importing tsrl loads no WebAssembly: mujoco-js is imported only by loadMujoco, and the CLI registers MuJoCo ids on first use", async () => {
  const { readdirSync, readFileSync } = await import("node:fs");
  const { join } = await import("node:path");
  const files = (readdirSync("src", { recursive: true }) as string[]).filter((f) => f.endsWith(".ts"));
  const valueImports = files.filter((f) => /^import(?! type)[^;]*from "mujoco-js"/m.test(readFileSync(join("src", f), "utf8")));
  assert.deepEqual(valueImports, [], "only type imports of mujoco-js (the module loads through loadMujoco's dynamic import)");
  const { execFileSync } = await import("node:child_process");
  const script = `
    const { listEnvs } = await import("./src/index.ts");
    const { loadEnvArg } = await import("./src/node/env-module.ts");
    const before = listEnvs().some((s) => s.id === "Hopper-v5");
    const { id } = await loadEnvArg("Hopper-v5");
    console.log(JSON.stringify([before, id, listEnvs().some((s) => s.id === "Walker2d-v5")]));`;
  const out = execFileSync(process.execPath, ["--import", "tsx", "--input-type=module", "-e", script], { encoding: "utf8" });
  assert.deepEqual(JSON.parse(out.trim()), [false, "Hopper-v5", true]);
});

test("a model MuJoCo refuses names the file and gives MuJoCo's own message; XML that does not parse is refused too", async () => {
  const { MujocoModelError } = await import("../src/envs/mujoco/index.js");
  const refused = (xml: string, ...patterns: RegExp[]) =>
    assert.throws(() => new HopperEnv(mujoco, { xml }), (e: Error) => e instanceof MujocoModelError && patterns.every((p) => p.test(e.message)) || assert.fail(e.message));
  refused("<mujoco><worldbody><geom size='x'/></worldbody></mujoco>", /custom hopper\.xml/, /mjXError/, /bad format in attribute 'size'; Element 'geom', line 1/);
  refused("<mujoco><worldbody><body><joint name='a'/><geom type='sphere' size='1'/></body></worldbody><actuator><motor joint='nope'/></actuator></mujoco>", /mjCError/, /unknown transmission target 'nope'/);
  refused("<mujoco><worldbody>", /custom hopper\.xml: it is not well-formed XML/);
  assert.equal(new HopperEnv(mujoco).model.nq, 6, "MuJoCo still loads models after refusing some");
});

test("Ant-v5: observation with clipped contact forces, torso velocity from its world position, every reward term and the z rule by hand", () => {
  const env = new AntEnv(mujoco);
  assert.deepEqual(env.observationSpace.shape, [105]);
  assert.equal(env.actionSpace.shape[0], 8);
  close(env.dt, 0.05, "dt", 1e-15);
  assert.deepEqual(new AntEnv(mujoco, { includeCfrcExtInObservation: false, excludeCurrentPositionsFromObservation: false }).observationSpace.shape, [29]);
  const [obs, info] = env.reset({ seed: 42 });
  // numpy: rng.uniform(-0.1, 0.1, 15), then 0.1 * rng.standard_normal(14)
  const dq = [0.05479120971119267, -0.012224312049589542, 0.07171958398227649, 0.039473605811872786, -0.0811645304224701, 0.09512447032735119, 0.052227940398070605, 0.05721286105539078, -0.07437727346489083, -0.009922812420886579, -0.025840395153483756, 0.08535299776972036, 0.02877302401613291, 0.064552322654166, -0.011317160234533774];
  const dv = [-0.08592924628832382, 0.036875078408249884, -0.0958882600828999, 0.08784503013072725, -0.00499259109862529, -0.018486236354526057, -0.06809295444039414, 0.12225413386740303, -0.015452948206880215, -0.042832782216310726, -0.03521335504882296, 0.05323091855533488, 0.036544406436407835, 0.04127326115959884];
  assert.deepEqual(Array.from(obs.subarray(0, 27)), [...dq.slice(2).map((d, i) => env.initQpos[i + 2]! + d), ...dv]);
  assert.deepEqual(info, { x_position: dq[0], y_position: dq[1], distance_from_origin: Math.sqrt(dq[0]! ** 2 + dq[1]! ** 2) });
  let contacts = 0, ends = 0;
  for (let t = 0; t < 300; t++) {
    const torso = arr(env.data.xpos).slice(3, 5);
    const a = actionAt(t, 8);
    const [o, reward, terminated, , inf] = env.step(a);
    const q = qposOf(env), v = qvelOf(env), f = arr(env.data.cfrc_ext), after = arr(env.data.xpos).slice(3, 5);
    const clipped = f.map((x) => clip(x, 1));
    assert.deepEqual(Array.from(o), [...q.slice(2), ...v, ...clipped.slice(6)]);
    const vx = (after[0]! - torso[0]!) / env.dt, vy = (after[1]! - torso[1]!) / env.dt;
    const healthy = [...q, ...v].every(Number.isFinite) && 0.2 <= q[2]! && q[2]! <= 1;
    const ctrl = 0.5 * sumSq(a), contact = 5e-4 * sumSq(clipped);
    if (contact > 0) contacts++;
    assert.deepEqual(Object.keys(inf).sort(), ["distance_from_origin", "reward_contact", "reward_ctrl", "reward_forward", "reward_survive", "x_position", "x_velocity", "y_position", "y_velocity"]);
    for (const [k, e] of [["x_position", q[0]], ["y_position", q[1]], ["distance_from_origin", Math.hypot(q[0]!, q[1]!)], ["x_velocity", vx], ["y_velocity", vy], ["reward_forward", vx], ["reward_ctrl", -ctrl], ["reward_contact", -contact]] as const) close(inf[k] as number, e!, k);
    assert.equal(inf.reward_survive, healthy ? 1 : 0);
    close(reward, vx + (healthy ? 1 : 0) - (ctrl + contact), "reward");
    assert.equal(terminated, !healthy);
    if (terminated) {
      ends++;
      env.reset();
    }
  }
  // under these actions the ant hops: its torso leaves the healthy range (z > 1) now and then
  assert.ok(contacts > 10 && ends > 0, `contact forces on ${contacts} steps, ${ends} episodes ended`);
  env.reset({ seed: 0 });
  const q = qposOf(env);
  q[2] = 1.4;
  setQ(env, q, new Array(14).fill(0));
  assert.equal(env.step(new Float32Array(8))[2], true, "z > 1");
  // a torso pushed into the floor springs back within a step, so the lower bound is moved up to the torso instead
  const low = new AntEnv(mujoco, { healthyZRange: [0.9, 1] });
  low.reset({ seed: 0 });
  const [, , terminated, , inf] = low.step(new Float32Array(8));
  assert.ok(qposOf(low)[2]! < 0.9 && terminated && inf.reward_survive === 0, "z < the range's low end");
});

test("render(): a projection of the geoms in their colours, following the runner, for every env", () => {
  // Hopper, side view 140 px/m centred on (torso x, 1 m): the torso geom's centre pixel has its colour
  const hopper = new HopperEnv(mujoco);
  hopper.reset({ seed: 0 });
  for (let t = 0; t < 10; t++) hopper.step(actionAt(t, 3));
  const frame = hopper.render();
  assert.deepEqual([frame.width, frame.height, frame.data.length], [480, 480, 480 * 480 * 3]);
  const torso = mujoco.mj_name2id(hopper.model, 5 /* mjOBJ_GEOM */, "torso_geom");
  const gz = arr(hopper.data.geom_xpos)[3 * torso + 2]!;
  const row = Math.round(240 - (gz - 1) * 140), p = (row * 480 + 240) * 3;
  assert.deepEqual(Array.from(frame.data.subarray(p, p + 3)), [204, 153, 102], "the torso's rgba 0.8 0.6 0.4 at its centre");
  assert.deepEqual(Array.from(frame.data.subarray(0, 3)), [178, 204, 230], "sky in the top-left corner");
  // Reacher, top view 800 px/m: the red target sphere where qpos[2:4] puts it
  const reacher = new ReacherEnv(mujoco);
  reacher.reset({ seed: 42 });
  const [tx, ty] = qposOf(reacher).slice(2);
  const q = (Math.round(240 - ty! * 800) * 480 + Math.round(240 + tx! * 800)) * 3;
  assert.deepEqual(Array.from(reacher.render().data.subarray(q, q + 3)), [229, 51, 51]); // rgba 0.9 0.2 0.2 (float32 0.9 · 255 rounds down)
  for (const id of MUJOCO_ENV_IDS) {
    const env = make<Float64Array, Float32Array>(id);
    env.reset({ seed: 1 });
    const before = env.render()!.data.slice();
    for (let t = 0; t < 3; t++) env.step(actionAt(t, env.actionSpace.shape[0]!));
    assert.notDeepEqual(env.render()!.data, before, `${id}: the picture changes as the model moves`);
  }
});

test("getState/setState resumes every env exactly (what checkpoints and exact resume rely on)", () => {
  for (const id of MUJOCO_ENV_IDS) {
    const env = make<Float64Array, Float32Array>(id, { maxEpisodeSteps: null, disableEnvChecker: true }) as unknown as MujocoEnv;
    const n = env.actionSpace.shape[0]!;
    env.reset({ seed: 9 });
    for (let t = 0; t < 7; t++) env.step(actionAt(t, n));
    const saved = env.getState();
    const tail = () => Array.from({ length: 8 }, (_, t) => { const [o, r, term] = env.step(actionAt(7 + t, n)); return [...o, r, Number(term)]; });
    const first = tail();
    const other = make<Float64Array, Float32Array>(id, { maxEpisodeSteps: null, disableEnvChecker: true }) as unknown as MujocoEnv;
    other.reset({ seed: 123 });
    other.setState(JSON.parse(JSON.stringify(saved)));
    const again = Array.from({ length: 8 }, (_, t) => { const [o, r, term] = other.step(actionAt(7 + t, n)); return [...o, r, Number(term)]; });
    assert.deepEqual(again, first, id);
  }
});

test("SAC on Hopper-v5 and Ant-v5: the same seed gives the same run, and a checkpoint resumes it exactly", async () => {
  const { SAC } = await import("../src/algos/sac.js");
  // long enough that episodes end after the checkpoint at 300 (Ant's third one lasts 1000 steps)
  for (const [envId, steps] of [["Hopper-v5", 400], ["Ant-v5", 1200]] as const) {
    const config = { envId, seed: 2, totalTimesteps: steps, learningStarts: 150, batchSize: 16, bufferSize: steps, hiddenSizes: [16, 16] };
    const run = (agent: InstanceType<typeof SAC>, checkpointAt?: number) => {
      const episodes: number[] = [];
      let saved: Uint8Array | null = null;
      agent.learn({
        onEpisode: (e) => episodes.push(e.step, e.return),
        checkpoint: (step) => {
          if (step === checkpointAt) saved = agent.saveCheckpoint();
        },
      });
      return { episodes, saved: saved as Uint8Array | null, params: agent.actor.parameterView().slice() };
    };
    const a = run(new SAC(config), 300);
    assert.ok(a.episodes.length >= 4 && a.saved, `${envId}: ${a.episodes.length / 2} episodes, a checkpoint at 300`);
    assert.deepEqual(run(new SAC(config)).params, a.params, envId);
    const resumed = new SAC(config);
    resumed.loadCheckpoint(a.saved!);
    const rest = run(resumed);
    const after = a.episodes.findIndex((step, i) => i % 2 === 0 && step > 300);
    assert.ok(after >= 0, `${envId}: an episode ends after the checkpoint (episodes: ${a.episodes})`);
    assert.deepEqual(rest.episodes, a.episodes.slice(after), envId);
    assert.deepEqual(rest.params, a.params, envId);
  }
});

test("tsrl enjoy --gif of a 125-fps env keeps one frame in 5 and plays at real time (4/100 s per frame); --fps keeps every frame", () => {
  const dir = mkdtempSync(join(tmpdir(), "tsrl-mujoco-gif-"));
  const cli = (...args: string[]) => spawnSync(process.execPath, ["--import", "tsx", "src/cli/main.ts", ...args], { encoding: "utf8" });
  const trained = cli("train", "sac", "--env", "Hopper-v5", "--total-timesteps", "200", "--learning-starts", "100", "--hidden-sizes", "8,8", "--batch-size", "8", "--store", dir, "--name", "h", "--quiet");
  assert.equal(trained.status, 0, trained.stderr);
  /** frames and the first frame's delay (hundredths) of a GIF: its graphic control extensions */
  const gifFrames = (file: string) => {
    const bytes = readFileSync(file);
    const delays: number[] = [];
    for (let i = 0; i + 5 < bytes.length; i++) if (bytes[i] === 0x21 && bytes[i + 1] === 0xf9 && bytes[i + 2] === 4) delays.push(bytes[i + 4]! | (bytes[i + 5]! << 8));
    return delays;
  };
  const real = cli("enjoy", "h", "--store", dir, "-n", "1", "--json", "--gif", join(dir, "real.gif"));
  assert.equal(real.status, 0, real.stderr);
  const length = (JSON.parse(real.stdout.trim().split("\n").at(-1)!) as { lengths: number[] }).lengths[0]!;
  const realDelays = gifFrames(join(dir, "real.gif"));
  assert.equal(realDelays.length, 1 + Math.floor(length / 5));
  assert.ok(realDelays.every((d) => d === 4), `delays ${realDelays}`);
  const slow = cli("enjoy", "h", "--store", dir, "-n", "1", "--gif", join(dir, "slow.gif"), "--fps", "25");
  assert.equal(slow.status, 0, slow.stderr);
  assert.equal(gifFrames(join(dir, "slow.gif")).length, 1 + length);
});
