/** The `tsrl` command line, run as a user would (from source, through tsx). */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { RunStore } from "../src/track/store.js";

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
    const ids = rows.map((row) => row.id).sort();
    assert.deepEqual(ids.filter((id) => !id.startsWith("MinAtar/")), ["Acrobot-v1", "CartPole-v0", "CartPole-v1", "MountainCar-v0", "MountainCarContinuous-v0", "Pendulum-v1"]);
    assert.equal(ids.filter((id) => id.startsWith("MinAtar/")).length, 10, "MinAtar's five games, v0 and v1");
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

  it("train --json ends stdout with the result line; enjoy runs the saved policy", () => {
    const dir = mkdtempSync(join(tmpdir(), "tsrl-cli-"));
    const file = join(dir, "cartpole.tsrlpolicy");
    const r = tsrl("train", "ppo", "--env", "CartPole-v1", "--total-timesteps", "4096", "--seed", "2", "--json", "--save", file, "--store", join(dir, "store"));
    assert.equal(r.code, 0, r.stderr);
    const last = JSON.parse(r.stdout.trim().split("\n").at(-1)!);
    assert.deepEqual(Object.keys(last).sort(), ["algo", "env", "episodes", "final_mean_return", "seed", "sps", "total_timesteps", "wall_s"]);
    assert.deepEqual([last.algo, last.env, last.seed, last.total_timesteps], ["ppo", "CartPole-v1", 2, 4096]);
    assert.ok(last.final_mean_return > 0 && last.episodes > 0);
    const e = tsrl("enjoy", file, "--episodes", "2", "--json");
    assert.equal(e.code, 0, e.stderr);
    const summary = JSON.parse(e.stdout);
    assert.equal(summary.returns.length, 2);
    assert.equal(summary.env, "CartPole-v1");
    const wrongEnv = tsrl("enjoy", file, "--env", "Pendulum-v1");
    assert.notEqual(wrongEnv.code, 0);
    assert.match(wrongEnv.stderr, /trained on CartPole-v1 \(4 observation values\); Pendulum-v1 has 3/);
    writeFileSync(join(dir, "broken.tsrlpolicy"), readFileSync(file).subarray(0, 100));
    assert.match(tsrl("enjoy", join(dir, "broken.tsrlpolicy")).stderr, /checksum mismatch|truncated/);
  });

  it("after training: the next commands as typed, runs show as a summary, enjoy by run id or name, GIFs, frames into a pipe", () => {
    const dir = mkdtempSync(join(tmpdir(), "tsrl-cli-"));
    const store = join(dir, "store");
    // 5000 steps are 9 whole PPO iterations of 512: said once, on stderr
    const r = tsrl("train", "ppo", "--env", "CartPole-v1", "--total-timesteps", "5000", "--name", "first", "--store", store);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /this run takes 4,608 of the 5,000 steps asked/);
    const id = /run ([0-9a-f]{8}) \(first\)/.exec(r.stdout)![1]!;
    for (const next of [`npx tsrl enjoy ${id} --store ${store}`, `npx tsrl runs show ${id} --store ${store}`, `npx tsrl plot ${id} --store ${store} --out curve.png`, `npx tsrl dashboard --store ${store}`]) assert.ok(r.stdout.includes(next), `${next} in\n${r.stdout}`);
    assert.ok(r.stdout.includes(join(store, "artifacts", id, "policy.tsrlpolicy")), "the policy's real path");

    const show = tsrl("runs", "show", "first", "--store", store);
    assert.equal(show.code, 0, show.stderr);
    assert.match(show.stdout, /^run [0-9a-f]{8} {2}first$/m);
    assert.match(show.stdout, /score +\d+\.\d\d \(mean return of the last 100 training episodes\)/);
    assert.match(show.stdout, /^ \* totalTimesteps +5000/m, "a field changed from the default is marked");
    assert.match(show.stdout, /^ {3}learningRate +0\.00025/m);
    assert.match(show.stdout, /policy at step 4,608/);
    assert.ok(!show.stdout.includes("dependencies"), "dependency versions only with --json");
    assert.ok(show.stdout.split("\n").length < 60, "a screenful");
    assert.equal(JSON.parse(tsrl("runs", "show", "first", "--store", store, "--json").stdout).id, id);

    for (const target of [id, id.slice(0, 5), "first"]) {
      const e = tsrl("enjoy", target, "--store", store, "--episodes", "1", "--json");
      assert.equal(e.code, 0, e.stderr);
      assert.match(JSON.parse(e.stdout).policy, new RegExp(`run ${id} \\(first\\)`));
    }
    assert.match(tsrl("enjoy", "frist", "--store", store).stderr, /no run "frist".*did you mean first/);
    const gif = join(dir, "episode.gif");
    const g = tsrl("enjoy", "first", "--store", store, "--episodes", "2", "--gif", gif);
    assert.equal(g.code, 0, g.stderr);
    const frames = Number(/wrote .* \((\d+) frames at 50 fps\)/.exec(g.stdout)![1]);
    const lengths = [...g.stdout.matchAll(/length (\d+)/g)].map((m) => Number(m[1]));
    assert.equal(frames, lengths[0]! + lengths[1]! + 2, "every step and each reset drawn");
    const bytes = readFileSync(gif);
    assert.equal(bytes.subarray(0, 6).toString("latin1"), "GIF89a");
    assert.equal(bytes.readUInt16LE(6), 600, "CartPole's 600 px width");
    assert.equal(bytes.at(-1), 0x3b, "the GIF trailer");
    // stdout is a pipe here: --render still writes every frame (ANSI), one after another, no screen clears
    const drawn = tsrl("enjoy", "first", "--store", store, "--episodes", "1", "--render");
    assert.equal(drawn.code, 0, drawn.stderr);
    assert.equal((drawn.stdout.match(/ episode 1\/1 {2}step \d+/g) ?? []).length, lengths[0]);
    assert.ok(drawn.stdout.includes("\x1b[48;2;") && !drawn.stdout.includes("\x1b[2J"));

    // a checkpoint's policy: the final checkpoint acts as the saved policy does
    const returns = (...args: string[]) => JSON.parse(tsrl("enjoy", "first", "--store", store, "--episodes", "2", "--json", ...args).stdout).returns as number[];
    const final = tsrl("enjoy", "first", "--store", store, "--checkpoint", "4608", "--episodes", "2", "--json");
    assert.equal(final.code, 0, final.stderr);
    assert.match(JSON.parse(final.stdout).policy, /checkpoint at step 4608/);
    assert.deepEqual(JSON.parse(final.stdout).returns, returns());
    assert.match(tsrl("enjoy", "first", "--store", store, "--checkpoint", "7").stderr, /no checkpoint at step 7; it has .*4608/);
    // a run still training has no policy yet: its newest checkpoint plays, and that is said
    const db = new RunStore(store, { create: false });
    db.deleteArtifact(db.artifacts(id, "policy")[0]!);
    db.close();
    const training = tsrl("enjoy", "first", "--store", store, "--episodes", "2", "--json");
    assert.equal(training.code, 0, training.stderr);
    assert.match(training.stderr, /no saved policy yet \(still training\?\): playing its newest checkpoint, at step 4608/);
    assert.deepEqual(JSON.parse(training.stdout).returns, JSON.parse(final.stdout).returns);
  });

  it("train reads a YAML config with CleanRL's snake_case names; flags override it", () => {
    const dir = mkdtempSync(join(tmpdir(), "tsrl-cli-"));
    const config = join(dir, "dqn.yaml");
    writeFileSync(config, "env: CartPole-v1\ntotal_timesteps: 600\nlearning_starts: 100\nlearning-rate: 0.001\n");
    const r = tsrl("train", "dqn", "--config", config, "--total-timesteps", "800", "--json", "--no-track");
    assert.equal(r.code, 0, r.stderr);
    assert.equal(JSON.parse(r.stdout.trim()).total_timesteps, 800);
  });

  it("train rejects bad input with messages that name the problem", () => {
    const cases: [string[], RegExp][] = [
      [["train", "a2c", "--env", "CartPole-v1"], /unknown algorithm "a2c"; available: ppo, dqn/],
      [["train", "dqn", "--env", "Pendulum-v1"], /DQN needs a Discrete action space/],
      [["train", "ppo", "--env", "CartPole-v1", "--gamma", "1.5"], /gamma: must be in \[0, 1\] \(got 1.5\)/],
      [["train", "ppo", "--env", "CartPole-v1", "--learning-rate", "fast"], /--learning-rate: expected a number, got "fast"/],
      [["train", "ppo", "--env", "CartPol-v1"], /Did you mean CartPole-v1/],
    ];
    for (const [args, message] of cases) {
      const r = tsrl(...args);
      assert.notEqual(r.code, 0, args.join(" "));
      assert.match(r.stderr, message);
    }
  });
});
