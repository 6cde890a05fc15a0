import assert from "node:assert/strict";
import { before, test } from "node:test";
import type { MainModule } from "mujoco-js";
import { SyncVectorEnv } from "../src/envs/sync-vector.js";
import { INVERTED_PENDULUM_XML, InvertedPendulumEnv, MujocoModelError, loadMujoco } from "../src/envs/mujoco/index.js";

let mujoco: MainModule;
before(async () => {
  mujoco = await loadMujoco();
});

test("InvertedPendulum-v5: Gymnasium's spaces, dt, and reset noise drawn from np_random as Gymnasium draws it", () => {
  const env = new InvertedPendulumEnv(mujoco);
  assert.deepEqual([Array.from(env.actionSpace.low), Array.from(env.actionSpace.high)], [[-3], [3]]);
  assert.deepEqual(env.observationSpace.shape, [4]);
  assert.equal(env.dt, 0.04);
  assert.equal(env.metadata.renderFps, 25);
  const [obs] = env.reset({ seed: 42 });
  // numpy: rng = default_rng(42); rng.uniform(size=2, low=-0.01, high=0.01) twice (qpos, then qvel)
  const expected = [0.005479120971119267, -0.0012224312049589538, 0.00717195839822765, 0.003947360581187278];
  for (let i = 0; i < 4; i++) assert.ok(Math.abs(obs[i]! - expected[i]!) < 1e-15, `obs[${i}] ${obs[i]} vs ${expected[i]}`);
});

test("InvertedPendulum-v5: reward 1 while |angle| ≤ 0.2, 0 and terminated on the step it leaves; physics signs checked by hand", () => {
  const env = new InvertedPendulumEnv(mujoco);
  env.reset({ seed: 0 });
  env.setState({ ...env.getState(), qpos: [0, 0], qvel: [0, 0], act: [], ctrl: [0] });
  const [rest, r0, t0] = env.step(Float32Array.of(0));
  // nearly at rest: Gymnasium's pole runs from (0, 0, 0) to (0.001, 0, 0.6), so it leans 1 mm towards +x and falls that way
  assert.ok(rest.every((x) => Math.abs(x) < 0.003) && rest[1]! > 0 && rest[3]! > 0, `after one step from rest: ${Array.from(rest)}`);
  assert.deepEqual([r0, t0], [1, false]);

  // leaning at 0.19 rad with no push: gravity tips it past 0.2 within a few steps
  env.setState({ ...env.getState(), qpos: [0, 0.19], qvel: [0, 0], ctrl: [0] });
  let steps = 0, last: [Float64Array, number, boolean] = [new Float64Array(4), 1, false];
  while (!last[2] && steps < 50) {
    const [obs, reward, terminated, , info] = env.step(Float32Array.of(0));
    steps++;
    last = [obs, reward, terminated];
    // the rule, computed by hand from the returned state
    const healthy = obs.every(Number.isFinite) && Math.abs(obs[1]!) <= 0.2;
    assert.equal(terminated, !healthy);
    assert.equal(reward, healthy ? 1 : 0);
    assert.equal(info.reward_survive, reward);
    assert.ok(obs[1]! > 0.19 && obs[3]! > 0, "the pole falls the way it leans");
  }
  assert.ok(last[2] && steps > 1 && steps < 50, `terminated after ${steps} steps`);

  // a push to the right accelerates the cart to the right and tips the pole back (left)
  env.setState({ ...env.getState(), qpos: [0, 0], qvel: [0, 0], ctrl: [0] });
  const [pushed] = env.step(Float32Array.of(1));
  assert.ok(pushed[0]! > 0 && pushed[2]! > 0 && pushed[1]! < 0 && pushed[3]! < 0, `after a push: ${Array.from(pushed)}`);
  // actions beyond the control range are clamped by MuJoCo (ctrllimited): 10 acts as 3
  const at = env.getState();
  const [big] = env.step(Float32Array.of(10));
  env.setState(at);
  const [three] = env.step(Float32Array.of(3));
  assert.deepEqual(big, three);
});

test("InvertedPendulum-v5: a fixed action sequence gives the same trajectory on every run, after getState/setState, and in a vector env", () => {
  const actions = Array.from({ length: 60 }, (_, t) => Float32Array.of(Math.sin(t / 3) * 0.4));
  const roll = (env: InvertedPendulumEnv, seed: number) => {
    const rows: number[][] = [Array.from(env.reset({ seed })[0])];
    for (const a of actions) {
      const [obs, reward, terminated] = env.step(a);
      rows.push([...obs, reward, Number(terminated)]);
      if (terminated) rows.push(Array.from(env.reset()[0]));
    }
    return rows;
  };
  const a = roll(new InvertedPendulumEnv(mujoco), 7);
  const b = roll(new InvertedPendulumEnv(mujoco), 7);
  assert.deepEqual(b, a);
  assert.notDeepEqual(roll(new InvertedPendulumEnv(mujoco), 8), a);

  const env = new InvertedPendulumEnv(mujoco);
  env.reset({ seed: 7 });
  for (let t = 0; t < 20; t++) env.step(actions[t]!);
  const saved = env.getState();
  const tail = Array.from({ length: 10 }, (_, t) => Array.from(env.step(actions[20 + t]!)[0]));
  env.setState(saved);
  assert.deepEqual(Array.from({ length: 10 }, (_, t) => Array.from(env.step(actions[20 + t]!)[0])), tail);

  const vec = new SyncVectorEnv([() => new InvertedPendulumEnv(mujoco), () => new InvertedPendulumEnv(mujoco)], { autoresetMode: "same-step" });
  const [first] = vec.reset({ seed: 7 });
  const singles = [new InvertedPendulumEnv(mujoco), new InvertedPendulumEnv(mujoco)];
  const singleObs = singles.map((e, i) => e.reset({ seed: 7 + i })[0]);
  for (let i = 0; i < 2; i++) for (let k = 0; k < 4; k++) assert.equal(first[i * 4 + k], Math.fround(singleObs[i]![k]!));
  for (let t = 0; t < 5; t++) {
    const [obs] = vec.step(Float32Array.of(0.1, -0.1));
    singles.forEach((e, i) => {
      const [o] = e.step(Float32Array.of(i === 0 ? 0.1 : -0.1));
      for (let k = 0; k < 4; k++) assert.equal(obs[i * 4 + k], Math.fround(o[k]!));
    });
  }
});

test("a model MuJoCo refuses names the file and the kind of error", () => {
  assert.throws(() => new InvertedPendulumEnv(mujoco, { xml: "<mujoco><worldbody><geom size='x'/></worldbody></mujoco>" }), (e: Error) => e instanceof MujocoModelError && /custom inverted pendulum XML/.test(e.message) && /mjXError/.test(e.message));
  assert.throws(() => new InvertedPendulumEnv(mujoco, { xml: INVERTED_PENDULUM_XML.replace('joint="slider" name="slide"', 'joint="nope" name="slide"') }), (e: Error) => e instanceof MujocoModelError && /mjCError/.test(e.message));
});

test("registerMujocoEnvs: InvertedPendulum-v5 by id with Gymnasium's 1000-step limit; SAC accepts it", async () => {
  const { registerMujocoEnvs } = await import("../src/envs/mujoco/index.js");
  const { make } = await import("../src/envs/registry.js");
  const { SAC } = await import("../src/algos/sac.js");
  await registerMujocoEnvs();
  await registerMujocoEnvs();
  const env = make<Float64Array, Float32Array>("InvertedPendulum-v5");
  env.reset({ seed: 1 });
  let steps = 0, truncated = false;
  // hold the pole up by hand (push the way it falls): the limit, not the pole, ends the episode
  for (let obs = env.reset({ seed: 1 })[0]; !truncated; steps++) {
    const push = Float32Array.of(Math.max(-3, Math.min(3, 10 * obs[1]! + 2 * obs[3]! + 0.5 * obs[0]! + 0.5 * obs[2]!)));
    const r = env.step(push);
    obs = r[0];
    assert.equal(r[2], false, `fell at step ${steps}`);
    truncated = r[3];
  }
  assert.equal(steps, 1000);
  const agent = new SAC({ envId: "InvertedPendulum-v5", totalTimesteps: 50, learningStarts: 20, batchSize: 8, hiddenSizes: [8] });
  assert.equal(agent.learn().total_timesteps, 50);
});
