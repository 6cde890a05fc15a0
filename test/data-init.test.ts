import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { openInitCheckpoint } from "../src/algos/agent-init.js";
import { BC } from "../src/algos/bc.js";
import { IQL } from "../src/algos/iql.js";
import type { ObsNormalization } from "../src/algos/offline.js";
import { PPO } from "../src/algos/ppo.js";
import { SAC } from "../src/algos/sac.js";
import { createBackend } from "../src/nn/backend.js";
import { FileDatasetSource, recordDataset } from "../src/node/datasets.js";
import { RunStore } from "../src/track/store.js";
import { tsrl } from "./cli-run.js";

const js = createBackend("js");
const hidden = [16, 16];

function pendulumData(): FileDatasetSource {
  const dir = join(mkdtempSync(join(tmpdir(), "tsrl-init-")), "p");
  recordDataset({ envId: "Pendulum-v1", policy: "random", episodes: 3, out: dir, seed: 4 });
  return new FileDatasetSource(dir);
}

const states = [[1, 0, 0.5], [0, 1, -3], [-0.6, 0.8, 7], [0.3, -0.95, 1]];

/** SAC's deterministic action tanh(μ)·2 and Q1(s, a) of raw observations. */
function sacOutputs(sac: SAC): { actions: number[]; q: number[] } {
  const actions: number[] = [], q: number[] = [];
  for (const s of states) {
    sac.actor.inputView(1).set(s);
    sac.actor.forward(1);
    actions.push(2 * Math.tanh(sac.actor.outputView(1)[0]!));
    sac.qf1.inputView(1).set([...s, 0.7]);
    sac.qf1.forward(1);
    q.push(sac.qf1.outputView(1)[0]!);
  }
  return { actions, q };
}

const normalized = (s: number[], n: ObsNormalization) => s.map((x, k) => (x - n.mean[k]!) / Math.sqrt(n.var[k]! + n.epsilon));
const close = (a: number[], b: number[], what: string) => a.forEach((x, i) => assert.ok(Math.abs(x - b[i]!) < 1e-4 * Math.max(1, Math.abs(b[i]!)), `${what} ${i}: ${x} vs ${b[i]}`));

test("SAC --init from IQL: the same actions and (unscaled) Q values from raw observations; from BC the actor; from SAC everything; learns on and resumes exactly", () => {
  const data = pendulumData();
  const iql = new IQL({ envId: "Pendulum-v1", data, totalTimesteps: 60, batchSize: 32, hiddenSizes: hidden, evalFrequency: 60, evalEpisodes: 1 }, { backend: js });
  iql.learn();
  const iqlBytes = iql.saveCheckpoint();
  const src = openInitCheckpoint("iql", iqlBytes, "sac");
  const n = src.state.normalization as ObsNormalization;
  const rewardScale = src.state.rewardScale as number;
  assert.ok(n && rewardScale > 0 && rewardScale !== 1);
  const expectedActions: number[] = [], expectedQ: number[] = [];
  for (const s of states) {
    iql.actor.inputView(1).set(normalized(s, n));
    iql.actor.forward(1);
    expectedActions.push(2 * iql.actor.outputView(1)[0]!); // tanh(o)·2
    iql.qf1.inputView(1).set([...normalized(s, n), 0.7]);
    iql.qf1.forward(1);
    expectedQ.push(iql.qf1.outputView(1)[0]! / rewardScale);
  }
  const base = { envId: "Pendulum-v1", hiddenSizes: hidden, batchSize: 16, bufferSize: 500, totalTimesteps: 300, learningStarts: 100 };
  const fromIql = new SAC({ ...base, init: "iql", initData: iqlBytes }, { backend: js });
  assert.match(fromIql.initSummary!, /actor of iql .* twin critics and their targets \(rewards unscaled by 1\//);
  const out = sacOutputs(fromIql);
  close(out.actions, expectedActions, "action");
  close(out.q, expectedQ, "Q");

  // an RLPD ensemble takes the actor only, and says so
  assert.match(new SAC({ ...base, rlpd: true, numCritics: 3, init: "iql", initData: iqlBytes }, { backend: js }).initSummary!, /not its twin critics: this run has 3 critics with LayerNorm/);

  const bc = new BC({ envId: "Pendulum-v1", data, totalTimesteps: 40, batchSize: 32, hiddenSizes: hidden, evalFrequency: 40, evalEpisodes: 1 }, { backend: js });
  bc.learn();
  const fromBc = new SAC({ ...base, init: "bc", initData: bc.saveCheckpoint() }, { backend: js });
  const bcN = openInitCheckpoint("bc", bc.saveCheckpoint(), "sac").state.normalization as ObsNormalization;
  close(sacOutputs(fromBc).actions, states.map((s) => {
    bc.actor.inputView(1).set(normalized(s, bcN));
    bc.actor.forward(1);
    return 2 * bc.actor.outputView(1)[0]!;
  }), "BC action");

  // online from the IQL agent: same seed, same run; a resume from a checkpoint is exact
  const make = () => new SAC({ ...base, init: "iql", initData: iqlBytes }, { backend: js });
  const whole = make();
  whole.learn();
  const again = make();
  let saved: Uint8Array | null = null;
  again.learn({ checkpoint: (step) => void (step === 150 && (saved = again.saveCheckpoint())) });
  assert.deepEqual(Array.from(again.actor.parameterView()), Array.from(whole.actor.parameterView()));
  const resumed = make();
  resumed.loadCheckpoint(saved!);
  resumed.learn();
  assert.deepEqual(Array.from(resumed.actor.parameterView()), Array.from(whole.actor.parameterView()));
  assert.deepEqual(Array.from(resumed.qf2Target.parameterView()), Array.from(whole.qf2Target.parameterView()));

  // SAC → SAC: every network and α
  const fromSac = new SAC({ ...base, init: "sac", initData: whole.saveCheckpoint() }, { backend: js });
  assert.deepEqual(Array.from(fromSac.actor.parameterView()), Array.from(whole.actor.parameterView()));
  assert.deepEqual(Array.from(fromSac.qf2Target.parameterView()), Array.from(whole.qf2Target.parameterView()));
  assert.match(fromSac.initSummary!, /actor, 2 critics and their targets, α \S+ of sac/);

  // what does not fit is refused, naming what to change
  assert.throws(() => new SAC({ ...base, hiddenSizes: [8], init: "iql", initData: iqlBytes }), /sac --init iql: its networks have hidden sizes \[16,16\], this run's \[8\]; pass --hidden-sizes 16,16/);
  assert.throws(() => new SAC({ ...base, envId: "MountainCarContinuous-v0", init: "iql", initData: iqlBytes }), /trained on Pendulum-v1, this run is on MountainCarContinuous-v0/);
  const ppo = new PPO({ envId: "Pendulum-v1", totalTimesteps: 64, numSteps: 64, numMinibatches: 2 }, { backend: js });
  assert.throws(() => new SAC({ ...base, init: "ppo", initData: ppo.saveCheckpoint() }), /a ppo checkpoint; SAC starts from the actor \(and critics\) of a sac, iql or bc run/);
  assert.throws(() => new SAC({ ...base, init: "policy", initData: iql.savePolicy() }), /not a tsrl checkpoint \(a saved policy holds the actor only\)/);
  assert.throws(() => new SAC({ ...base, init: "junk", initData: new Uint8Array(64) }), /not a tsrl tensor file/);
});

test("tsrl train sac --init <iql run>: starts from the run's last checkpoint (said on stderr, recorded by path); an unknown run, a run without checkpoints and a file that is no checkpoint are refused", () => {
  const dir = mkdtempSync(join(tmpdir(), "tsrl-init-cli-"));
  assert.equal(tsrl("record", "--policy", "random", "--env", "Pendulum-v1", "--episodes", "2", "--out", "pr", "--store", dir, "-q").code, 0);
  const iql = tsrl("train", "iql", "--env", "Pendulum-v1", "--dataset", "pr", "--total-timesteps", "40", "--eval-frequency", "40", "--eval-episodes", "1", "--hidden-sizes", "8", "--batch-size", "16", "--name", "offline", "--store", dir, "--json", "-q");
  assert.equal(iql.code, 0, iql.stderr);
  const sac = tsrl("train", "sac", "--env", "Pendulum-v1", "--init", "offline", "--hidden-sizes", "8", "--total-timesteps", "250", "--learning-starts", "100", "--batch-size", "16", "--name", "online", "--store", dir, "--json");
  assert.equal(sac.code, 0, sac.stderr);
  assert.match(sac.stderr, /--init: starts from the actor of iql .*twin critics/);
  const store = new RunStore(dir);
  assert.match(store.getRun("online").config.init as string, /artifacts\//);
  store.close();
  assert.match(tsrl("train", "sac", "--env", "Pendulum-v1", "--init", "nope", "--store", dir).stderr, /no run "nope"/);
  const noCkpt = tsrl("train", "iql", "--env", "Pendulum-v1", "--dataset", "pr", "--total-timesteps", "20", "--eval-frequency", "20", "--eval-episodes", "1", "--hidden-sizes", "8", "--batch-size", "16", "--checkpoint-every", "0", "--name", "nockpt", "--store", dir, "-q");
  assert.equal(noCkpt.code, 0, noCkpt.stderr);
  assert.match(tsrl("train", "sac", "--env", "Pendulum-v1", "--init", "nockpt", "--store", dir).stderr, /run nockpt kept no checkpoints/);
  const file = join(dir, "garbage.bin");
  writeFileSync(file, "not a checkpoint ".repeat(8));
  assert.match(tsrl("train", "sac", "--env", "Pendulum-v1", "--init", file, "--store", dir).stderr, /not a tsrl tensor file/);
});
