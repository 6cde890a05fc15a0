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
import { makeEnv, trainingTarget } from "../src/algos/training-env.js";
import { Policy } from "../src/algos/policy.js";
import { recordDataset } from "../src/node/datasets.js";
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
  // nested objects too (env kwargs given in another order)
  const kw = { ...c, envKwargs: { sticky_action_prob: 0, difficulty_ramping: false } };
  assert.deepEqual(checkCheckpointMeta(meta({ ...kw, envKwargs: { difficulty_ramping: false, sticky_action_prob: 0 } }), "ppo", kw, "reordered kwargs"), 1);
  assert.throws(() => checkCheckpointMeta(meta({ ...kw, envKwargs: { difficulty_ramping: true, sticky_action_prob: 0 } }), "ppo", kw, "other kwargs"), ConfigError);
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

test("a saved policy is played on the env it trained on (its id with its envKwargs and maxEpisodeSteps); another id as registered; overrides replace them", () => {
  const ppo = new PPO({ envId: "EnvKwargsTest/Counter-v0", envKwargs: { increment: 5 }, maxEpisodeSteps: 3, numEnvs: 1, numSteps: 16, totalTimesteps: 16, seed: 1 });
  ppo.learn();
  const policy = new Policy(ppo.savePolicy());
  assert.deepEqual(policy.envToPlay(), { envId: "EnvKwargsTest/Counter-v0", envKwargs: { increment: 5 }, maxEpisodeSteps: 3 });
  const env = makeEnv(policy.envToPlay(), "enjoy");
  env.reset({ seed: 0 });
  const steps = [0, 1, 2].map(() => env.step(0));
  assert.deepEqual(steps.map(([obs]) => obs[0]), [5, 10, 15]);
  assert.deepEqual(steps.map(([, , , truncated]) => truncated), [false, false, true]);
  assert.deepEqual(policy.envToPlay({ envKwargs: {}, maxEpisodeSteps: 8 }), { envId: "EnvKwargsTest/Counter-v0", envKwargs: {}, maxEpisodeSteps: 8 });
  assert.deepEqual(policy.envToPlay({ envId: "CartPole-v1" }), { envId: "CartPole-v1", envKwargs: {}, maxEpisodeSteps: null });
  // tsrl record's library function: the policy's limit by default, the caller's when given
  const dir = mkdtempSync(join(tmpdir(), "tsrl-envkw-record-"));
  try {
    const record = (out: string, maxEpisodeSteps?: number) => recordDataset({ envId: "EnvKwargsTest/Counter-v0", policy: ppo.savePolicy(), episodes: 2, out: join(dir, out), maxEpisodeSteps });
    assert.equal(record("own").steps, 6);
    assert.equal(record("four", 4).steps, 8);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("tsrl enjoy, record and compare play a policy on its run's env kwargs and time limit; --max-episode-steps replaces it", () => {
  const dir = mkdtempSync(join(tmpdir(), "tsrl-envkw-play-"));
  try {
    const file = join(dir, "freeway.tsrlpolicy");
    // Freeway's episodes last 2500 frames as registered: the 30-step limit cuts them
    const train = tsrl("train", "ppo", "--env", "MinAtar/Freeway-v1", "--env-kwargs", '{"sticky_action_prob":0}', "--max-episode-steps", "30", "--num-envs", "1", "--num-steps", "32", "--num-minibatches", "4", "--total-timesteps", "32", "--save", file, "--store", dir, "--json", "-q");
    assert.equal(train.code, 0, train.stderr);
    const lengths = (...extra: string[]) => {
      const r = tsrl("enjoy", file, "--episodes", "2", "--json", ...extra);
      assert.equal(r.code, 0, r.stderr);
      return JSON.parse(r.stdout.trim()).lengths as number[];
    };
    assert.deepEqual(lengths(), [30, 30]);
    assert.deepEqual(lengths("--max-episode-steps", "7"), [7, 7]);
    assert.match(tsrl("enjoy", file, "--max-episode-steps", "0").stderr, /--max-episode-steps must be an integer >= 1/);
    // compare scores each run's greedy evaluation on the env it trained on: CartPole cut at 5 steps returns 5
    const compared = tsrl("compare", "--algos", "ppo,dqn", "--env", "CartPole-v1", "--n", "1", "--K", "1", "--set", "maxEpisodeSteps=5", "--set", "totalTimesteps=512", "--eval-episodes", "3", "--jobs", "1", "--store", dir, "--json");
    assert.equal(compared.code, 0, compared.stderr);
    const store = new RunStore(dir, { create: false });
    const runs = store.listRuns({ env: "CartPole-v1" });
    assert.equal(runs.length, 2);
    for (const run of runs) assert.equal(store.metrics(run.id, "eval/mean_return")[0]!.value, 5, run.name);
    const policyFile = store.artifacts(runs[0]!.id, "policy").at(-1)!.path;
    store.close();
    // tsrl record: the same 5-step limit (a MinAtar policy is refused by record's space check: float32 vs bool observations)
    const recorded = tsrl("record", "--policy", policyFile, "--env", "CartPole-v1", "--episodes", "2", "--out", "cp", "--store", dir, "--json");
    assert.equal(recorded.code, 0, recorded.stderr);
    assert.equal(JSON.parse(recorded.stdout.trim()).steps, 10);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
