/** Env keyword arguments and time limits in training configs: envKwargs / maxEpisodeSteps, as gym.make(id, max_episode_steps=…, **kwargs). */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { ConfigError, checkCheckpointMeta, checkpointConfig } from "../src/algos/common.js";
import { PPO, resolvePPOConfig } from "../src/algos/ppo.js";
import { DQN, resolveDQNConfig } from "../src/algos/dqn.js";
import { encodeTensorFile } from "../src/nn/serialize.js";
import { trainingTarget } from "../src/algos/training-env.js";
import { Env, type Info, type StepResult } from "../src/envs/env.js";
import { register } from "../src/envs/registry.js";
import { Box, Discrete } from "../src/envs/spaces.js";
import type { VectorEnv } from "../src/envs/vector.js";
import { parseFlag } from "../src/cli/train.js";
import { RunStore } from "../src/track/store.js";
import { killAfterCheckpoints, tsrl } from "./cli-run.js";

/** Observations of env 0 over `steps` steps of the action cycle 0, 1, 2 (autoresets included). */
function play(envKwargs: Record<string, unknown>, steps: number): number[] {
  const vec = trainingTarget({ envId: "MinAtar/Breakout-v1", envKwargs }, "ppo").build(1, "same-step");
  let [obs] = vec.reset({ seed: 7 });
  const out: number[] = [];
  for (let t = 0; t < steps; t++) {
    [obs] = vec.step(Int32Array.of(t % 3));
    out.push(...obs);
  }
  return out;
}

test("envKwargs reach the env: MinAtar without sticky actions plays another game than with MinAtar's 0.1", () => {
  const target = trainingTarget({ envId: "MinAtar/Breakout-v1", envKwargs: { sticky_action_prob: 0 } }, "ppo");
  assert.equal((target.build(1, "same-step") as VectorEnv).kernel.params.sticky_action_prob, 0);
  const sticky = play({}, 300), plain = play({ sticky_action_prob: 0 }, 300);
  assert.notDeepEqual(plain, sticky);
  // MinAtar's Python name and the option's own name are the same kwarg
  assert.deepEqual(play({ stickyActionProb: 0 }, 300), plain);
});

test("maxEpisodeSteps truncates where the id registers no limit (kernel envs) and replaces a registered one", () => {
  // Freeway's episodes last 2500 frames; MinAtar registers no time limit
  const vec = trainingTarget({ envId: "MinAtar/Freeway-v1", maxEpisodeSteps: 40 }, "ppo").build(2, "same-step");
  vec.reset({ seed: 1 });
  for (let t = 1; t <= 40; t++) {
    const [, , terminated, truncated] = vec.step(Int32Array.of(1, 1));
    assert.deepEqual([...terminated], [0, 0]);
    assert.deepEqual([...truncated], t === 40 ? [1, 1] : [0, 0], `step ${t}`);
  }
  const ppo = new PPO({ envId: "CartPole-v1", maxEpisodeSteps: 6, numEnvs: 2, numSteps: 32, totalTimesteps: 128, seed: 3 });
  const lengths: number[] = [];
  ppo.learn({ onEpisode: (e) => lengths.push(e.length) });
  assert.ok(lengths.length > 10);
  assert.equal(Math.max(...lengths), 6);
});

class Counter extends Env<Float32Array, number> {
  readonly observationSpace = new Box(0, 100, [1], "float32");
  readonly actionSpace = new Discrete(2);
  private t = 0;
  constructor(readonly increment: number) {
    super();
  }
  override reset(args: { seed?: number } = {}): [Float32Array, Info] {
    super.reset(args);
    this.t = 0;
    return [Float32Array.of(0), {}];
  }
  step(): StepResult<Float32Array> {
    this.t += this.increment;
    return [Float32Array.of(this.t), 1, false, false, {}];
  }
}
register({
  id: "EnvKwargsTest/Counter-v0",
  entryPoint: ({ increment = 1, ...rest }) => {
    if (Object.keys(rest).length) throw new TypeError(`Counter takes increment only, got ${Object.keys(rest).join(", ")}`);
    return new Counter(increment as number);
  },
});

test("envKwargs and maxEpisodeSteps reach Env classes (the SyncVectorEnv path) too", () => {
  const vec = trainingTarget({ envId: "EnvKwargsTest/Counter-v0", envKwargs: { increment: 5 }, maxEpisodeSteps: 3 }, "dqn").build(1, "same-step");
  vec.reset({ seed: 0 });
  const seen: number[] = [], truncs: number[] = [];
  for (let t = 0; t < 3; t++) {
    const [obs, , , truncated] = vec.step(Int32Array.of(0));
    seen.push(obs[0]!);
    truncs.push(truncated[0]!);
  }
  // the third step truncates: its observation is the reset one, the final one is 15
  assert.deepEqual(seen.slice(0, 2), [5, 10]);
  assert.deepEqual(truncs, [0, 0, 1]);
  assert.equal(vec.finalObs[0], 15);
});

test("kwargs an env does not take: a ConfigError naming the id, the field and the kwargs it takes", () => {
  assert.throws(
    () => new PPO({ envId: "MinAtar/Breakout-v1", envKwargs: { sticky: 0 } }),
    (err: Error) => err instanceof ConfigError && /envKwargs/.test(err.message) && /MinAtar\/Breakout-v1/.test(err.message) && /stickyActionProb/.test(err.message) && /difficultyRamping/.test(err.message),
  );
  assert.throws(() => new DQN({ envId: "MinAtar/Breakout-v1", envKwargs: { sticky_action_prob: 2 } }), (err: Error) => err instanceof ConfigError && /\[0, 1\]/.test(err.message));
  assert.throws(() => new DQN({ envId: "EnvKwargsTest/Counter-v0", envKwargs: { step: 2 } }), (err: Error) => err instanceof ConfigError && /EnvKwargsTest\/Counter-v0/.test(err.message) && /increment/.test(err.message));
  assert.throws(() => new PPO({ envId: "CartPole-v1", envKwargs: { max_episode_steps: 10 } }), (err: Error) => err instanceof ConfigError && /--max-episode-steps/.test(err.message));
  assert.throws(() => resolvePPOConfig({ envId: "CartPole-v1", maxEpisodeSteps: 0 }), (err: Error) => err instanceof ConfigError && /maxEpisodeSteps/.test(err.message));
  assert.throws(() => new PPO({ env: () => new Counter(1), envKwargs: { increment: 2 } }), (err: Error) => err instanceof ConfigError && /registered id/.test(err.message));
  assert.throws(() => parseFlag("envKwargs", "{sticky: 0}", {}), (err: Error) => err instanceof ConfigError && /--env-kwargs: expected a JSON object/.test(err.message));
  assert.deepEqual(parseFlag("envKwargs", '{"sticky_action_prob":0}', {}), { sticky_action_prob: 0 });
});

test("a checkpoint from before the env fields (and PPO's activation) existed still matches its config", () => {
  const c = resolvePPOConfig({ envId: "CartPole-v1" });
  const { envKwargs: _, maxEpisodeSteps: __, activation: ___, ...old } = c;
  const meta = (config: unknown) => ({ kind: "tsrl.checkpoint", algo: "ppo", config, state: 1 });
  assert.deepEqual(checkCheckpointMeta(meta(old), "ppo", c, "old"), 1);
  // key order does not matter; a field both hold must agree
  assert.deepEqual(checkCheckpointMeta(meta(Object.fromEntries(Object.entries(c).reverse())), "ppo", c, "reordered"), 1);
  assert.throws(() => checkCheckpointMeta(meta(old), "ppo", { ...c, gamma: 0.9 }, "old"), ConfigError);
});

test("a checkpoint from before a field existed was made with the field's value then, not the loading agent's: a ReLU or time-limited agent refuses it", () => {
  const c = resolvePPOConfig({ envId: "MinAtar/Breakout-v1" });
  const { envKwargs: _, maxEpisodeSteps: __, activation: ___, ...old } = c;
  const meta = (algo: string, config: unknown) => ({ kind: "tsrl.checkpoint", algo, config, state: 1 });
  for (const changed of [{ activation: "relu" }, { envKwargs: { sticky_action_prob: 0 } }, { maxEpisodeSteps: 1000 }]) {
    assert.throws(() => checkCheckpointMeta(meta("ppo", old), "ppo", { ...c, ...changed }, "old"), /different config/, JSON.stringify(changed));
  }
  // the values filled in are the ones the fields had before they existed; activation is PPO's alone
  assert.deepEqual(checkpointConfig(encodeTensorFile(meta("ppo", old), [])), c);
  const d = resolveDQNConfig({ envId: "CartPole-v1" });
  const { envKwargs: ____, maxEpisodeSteps: _____, ...oldDqn } = d;
  assert.deepEqual(checkpointConfig(encodeTensorFile(meta("dqn", oldDqn), [])), d);
  assert.equal(checkCheckpointMeta(meta("dqn", oldDqn), "dqn", d, "old"), 1);
  assert.throws(() => checkCheckpointMeta(meta("dqn", oldDqn), "dqn", { ...d, maxEpisodeSteps: 1000 }, "old"), /different config/);
});

test("the CLI takes --env-kwargs and --max-episode-steps; a resume keeps them and refuses to change them", async () => {
  const dir = mkdtempSync(join(tmpdir(), "tsrl-envkw-"));
  try {
    const args = ["--store", dir, "--json", "-q"];
    // Freeway never ends within 30 steps: every episode is cut by the limit
    const train = ["train", "ppo", "--env", "MinAtar/Freeway-v1", "--env-kwargs", '{"sticky_action_prob":0}', "--max-episode-steps", "30", "--num-envs", "2", "--num-steps", "30", "--total-timesteps", "4800", "--checkpoint-every", "120", "--name", "kw", ...args];
    await killAfterCheckpoints(train, dir, "kw", 1);
    const store = new RunStore(dir, { create: false });
    const run = store.listRuns().find((r) => r.name === "kw")!;
    assert.deepEqual([run.config.envKwargs, run.config.maxEpisodeSteps], [{ sticky_action_prob: 0 }, 30]);
    store.close();
    const changed = tsrl("resume", "kw", "--set", "maxEpisodeSteps=50", "--force", ...args);
    assert.notEqual(changed.code, 0);
    assert.match(changed.stderr, /maxEpisodeSteps cannot change within a run/);
    const resumed = tsrl("resume", "kw", ...args);
    assert.equal(resumed.code, 0, resumed.stderr);
    // 4800 steps of 2 envs cut every 30 steps: 160 episodes, so the limit held after the resume
    assert.equal(JSON.parse(resumed.stdout.trim().split("\n").at(-1)!).episodes, 160);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
