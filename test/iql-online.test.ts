import assert from "node:assert/strict";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { IQL } from "../src/algos/iql.js";
import type { ReplayBuffer } from "../src/algos/replay-buffer.js";
import { createBackend } from "../src/nn/backend.js";
import { FileDatasetSource, recordDataset } from "../src/node/datasets.js";

const js = createBackend("js");

test("IQL --online-steps: fine-tunes online after the offline steps (transitions join the dataset's buffer, training episodes logged); same seed, same run; exact resume from the offline and the online phase", () => {
  const dir = join(mkdtempSync(join(tmpdir(), "tsrl-iql-online-")), "p");
  recordDataset({ envId: "Pendulum-v1", policy: "random", episodes: 3, out: dir, seed: 5 });
  const build = (deterministic = false) =>
    new IQL({ envId: "Pendulum-v1", data: new FileDatasetSource(dir), totalTimesteps: 40, onlineSteps: 250, batchSize: 32, hiddenSizes: [16, 16], evalFrequency: 100, evalEpisodes: 1, deterministic }, { backend: js });
  const whole = build();
  const metrics: [number, Record<string, number>][] = [];
  const result = whole.learn({ onMetrics: (step, m) => void metrics.push([step, m]) });
  assert.equal(result.total_timesteps, 290);
  const buffer = (whole as unknown as { loop: { data: { buffer: ReplayBuffer } } }).loop.data.buffer;
  assert.equal(buffer.size, 600 + 250, "the dataset's 600 transitions and the 250 online ones");
  const episodes = metrics.filter(([, m]) => "charts/episodic_return" in m);
  assert.deepEqual(episodes.map(([step, m]) => [step, m["charts/episodic_length"]]), [[240, 200]], "one 200-step training episode, logged at its step");
  assert.ok(episodes[0]![1]["charts/episodic_return"]! < 0);
  // evaluations go on at steps 100, 200 and the last
  assert.deepEqual(whole.episodes.steps, [100, 200, 290]);

  for (const at of [20, 150]) {
    const again = build();
    let saved: Uint8Array | null = null;
    again.learn({ checkpoint: (step) => void (step === at && (saved = again.saveCheckpoint())) });
    assert.deepEqual(Array.from(again.actor.parameterView()), Array.from(whole.actor.parameterView()));
    // a checkpoint saved again straight after loading holds the same run
    const reloaded = build();
    reloaded.loadCheckpoint(saved!);
    const resumed = build();
    resumed.loadCheckpoint(reloaded.saveCheckpoint());
    resumed.learn();
    assert.deepEqual(Array.from(resumed.actor.parameterView()), Array.from(whole.actor.parameterView()), `resumed from step ${at}`);
    assert.deepEqual(Array.from(resumed.qf1.parameterView()), Array.from(whole.qf1.parameterView()));
    assert.deepEqual(resumed.episodes.getState(), whole.episodes.getState());
  }
  // the deterministic actor explores with clipped Gaussian noise
  const det = build(true);
  det.learn();
  assert.ok(Number.isFinite(det.episodes.returns.at(-1)!));
});
