import assert from "node:assert/strict";
import { existsSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { FileDatasetSource } from "../src/node/datasets.js";
import { tsrl } from "./cli-run.js";

/** A PD controller for Pendulum (swing-up aside, it holds the pendulum near the top), and functions that go wrong. */
const CONTROLLER = `
export function pd(obs, at) {
  const th = Math.atan2(obs[1], obs[0]);
  return [Math.max(-2, Math.min(2, -8 * th - 1.5 * obs[2]))];
}
export function wild(obs, at) { return at.step < 3 ? [0] : [5]; }
export async function later() { return [0]; }
export const notAFunction = 3;
`;

test("tsrl record --policy ./module.js:fn records the function's actions; bad functions are refused naming episode, step and value, and nothing is written", () => {
  const dir = mkdtempSync(join(tmpdir(), "tsrl-record-fn-"));
  const module = join(dir, "controller.mjs");
  writeFileSync(module, CONTROLLER);
  const rec = tsrl("record", "--policy", `${module}:pd`, "--env", "Pendulum-v1", "--episodes", "2", "--out", "pd", "--seed", "3", "--store", dir, "-q");
  assert.equal(rec.code, 0, rec.stderr);
  const source = new FileDatasetSource(join(dir, "datasets", "pd"));
  assert.equal(source.manifest.episodes, 2);
  assert.equal((source.manifest.source as { policy: string }).policy, `${module}:pd`);
  // every recorded action is the controller's action on the recorded observation
  let checked = 0;
  for (const chunk of source.chunks()) {
    let row = 0, step = 0;
    for (let e = 0; e < chunk.episodes; e++) {
      for (let t = 0; t < chunk.lengths[e]!; t++) {
        const o = chunk.observations.subarray(3 * (row + t), 3 * (row + t) + 3);
        const expected = Math.fround(Math.max(-2, Math.min(2, -8 * Math.atan2(o[1]!, o[0]!) - 1.5 * o[2]!)));
        assert.ok(Math.abs(chunk.actions[step + t]! - expected) < 1e-5, `episode ${e} step ${t}: ${chunk.actions[step + t]} vs ${expected}`);
        checked++;
      }
      row += chunk.lengths[e]! + 1; // each episode keeps its final observation
      step += chunk.lengths[e]!;
    }
  }
  assert.equal(checked, 400);

  const wild = tsrl("record", "--policy", `${module}:wild`, "--env", "Pendulum-v1", "--episodes", "1", "--out", "wild", "--store", dir);
  assert.equal(wild.code, 1);
  assert.match(wild.stderr, /returned \[5\] at episode 1, step 4, which is not in the action space Box\(.*\); return a value of that space \(clip Box actions to its bounds\); nothing was written/);
  assert.equal(existsSync(join(dir, "datasets", "wild")), false);
  assert.match(tsrl("record", "--policy", `${module}:later`, "--env", "Pendulum-v1", "--episodes", "1", "--out", "later", "--store", dir).stderr, /returned a Promise at episode 1, step 1; return the action itself/);
  assert.match(tsrl("record", "--policy", `${module}:nothere`, "--env", "Pendulum-v1", "--episodes", "1", "--out", "x", "--store", dir).stderr, /exports no function nothere; its functions: later, pd, wild|exports no function nothere; its functions: .*pd/);
  assert.match(tsrl("record", "--policy", `${module}:pd`, "--stochastic", "--env", "Pendulum-v1", "--episodes", "1", "--out", "x", "--store", dir).stderr, /a policy function chooses its own actions; drop --stochastic/);
  assert.match(tsrl("record", "--policy", "./nowhere.mjs:pd", "--env", "Pendulum-v1", "--episodes", "1", "--out", "x", "--store", dir).stderr, /--policy \.\/nowhere\.mjs:pd: no file \/.*nowhere\.mjs; pass a policy file, random, or \.\/module\.js:functionName/);
});

test("a MinAtar policy records on its env (bool grids, the kernel's float32 grids) and BC trains on the dataset", () => {
  const dir = mkdtempSync(join(tmpdir(), "tsrl-record-minatar-"));
  const policy = join(dir, "breakout.tsrlpolicy");
  const train = tsrl("train", "dqn", "--env", "MinAtar/Breakout-v1", "--total-timesteps", "200", "--learning-starts", "100", "--store", dir, "--save", policy, "-q");
  assert.equal(train.code, 0, train.stderr);
  const rec = tsrl("record", "--policy", policy, "--env", "MinAtar/Breakout-v1", "--episodes", "2", "--out", "breakout", "--store", dir, "-q");
  assert.equal(rec.code, 0, rec.stderr);
  const source = new FileDatasetSource(join(dir, "datasets", "breakout"));
  assert.deepEqual(source.manifest.observationSpace, { type: "Box", low: Array(400).fill(0), high: Array(400).fill(1), shape: [10, 10, 4], dtype: "bool" });
  const bc = tsrl("train", "bc", "--env", "MinAtar/Breakout-v1", "--dataset", "breakout", "--total-timesteps", "20", "--store", dir, "-q");
  assert.equal(bc.code, 0, bc.stderr);
});
