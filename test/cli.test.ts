/** The `tsrl` command line, run as a user would (from source, through tsx). */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { describe, it } from "node:test";

function tsrl(...args: string[]) {
  const r = spawnSync(process.execPath, ["--import", "tsx", "src/cli/main.ts", ...args], { encoding: "utf8" });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe("tsrl CLI", () => {
  it("--help lists the commands", () => {
    const r = tsrl("--help");
    assert.equal(r.code, 0);
    assert.match(r.stdout, /envs/);
    assert.match(r.stdout, /rollout/);
  });

  it("envs --json lists every registered env with its spaces and limits", () => {
    const r = tsrl("envs", "--json");
    assert.equal(r.code, 0);
    const rows = JSON.parse(r.stdout) as { id: string; max_episode_steps: number; reward_threshold: number | null; action_space: string }[];
    const cartPole = rows.find((row) => row.id === "CartPole-v1");
    assert.deepEqual(cartPole && [cartPole.max_episode_steps, cartPole.reward_threshold, cartPole.action_space], [500, 475, "Discrete(2)"]);
    assert.deepEqual(rows.map((row) => row.id).sort(), ["Acrobot-v1", "CartPole-v0", "CartPole-v1", "MountainCar-v0", "MountainCarContinuous-v0", "Pendulum-v1"]);
  });

  it("rollout --json is deterministic for a seed and counts episodes", () => {
    const a = JSON.parse(tsrl("rollout", "--env", "CartPole-v1", "--steps", "5000", "--seed", "3", "--json").stdout);
    const b = JSON.parse(tsrl("rollout", "--env", "CartPole-v1", "--steps", "5000", "--seed", "3", "--json").stdout);
    assert.equal(a.total_steps, 5000);
    assert.ok(a.episodes > 100, `random CartPole episodes last ~22 steps, got ${a.episodes} episodes`);
    assert.ok(a.mean_return > 10 && a.mean_return < 40, `random CartPole return ${a.mean_return}`);
    assert.deepEqual([a.episodes, a.mean_return, a.max_return], [b.episodes, b.mean_return, b.max_return]);
  });

  it("an unknown env id fails with suggestions", () => {
    const r = tsrl("rollout", "--env", "Cartpole-v1");
    assert.equal(r.code, 1);
    assert.match(r.stderr, /Unknown environment id "Cartpole-v1"\. Did you mean CartPole-v1/);
  });

  it("invalid numbers are refused with the option's name", () => {
    const r = tsrl("rollout", "--env", "CartPole-v1", "--num-envs", "0");
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /--num-envs must be an integer >= 1/);
  });
});
