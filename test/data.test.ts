import assert from "node:assert/strict";
import { mkdtempSync, readdirSync, readFileSync, truncateSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { DatasetError, checkDatasetSpaces, decodeChunk, encodeChunk } from "../src/data/format.js";
import { ChunkBuilder, loadTransitions } from "../src/data/episodes.js";
import { DatasetWriter, FileDatasetSource, listDatasets, recordDataset } from "../src/node/datasets.js";
import { make } from "../src/envs/registry.js";
import { Box, Dict, Discrete } from "../src/envs/spaces.js";
import { Random } from "../src/rng/random.js";

const store = () => mkdtempSync(join(tmpdir(), "tsrl-data-"));

test("a chunk round-trips: arrays, episode ends, infos", () => {
  const b = new ChunkBuilder(2, 1, { infos: true });
  b.begin([0, 1]);
  b.step([0.5], 1.25, false, false, [2, 3], { x: new Float32Array([1, 2]) });
  b.step([-0.5], -2, true, false, [4, 5]);
  b.begin([6, 7]);
  b.step([1], 0.1, false, true, [8, 9]);
  const chunk = b.take();
  const back = decodeChunk(encodeChunk(chunk), "test");
  assert.deepEqual(Array.from(back.lengths), [2, 1]);
  assert.deepEqual(Array.from(back.observations), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  assert.deepEqual(Array.from(back.actions), [0.5, -0.5, 1]);
  assert.deepEqual(Array.from(back.rewards), [1.25, -2, 0.1]); // float64 rewards stay exact
  assert.deepEqual(Array.from(back.terminations), [0, 1, 0]);
  assert.deepEqual(Array.from(back.truncations), [0, 0, 1]);
  assert.deepEqual(back.infos, [{ x: [1, 2] }, {}, {}]);
});

test("decodeChunk refuses truncated bytes, wrong magic and episodes that do not end", () => {
  const b = new ChunkBuilder(1, 1);
  b.begin([0]);
  b.step([0], 0, true, false, [1]);
  const bytes = encodeChunk(b.take());
  assert.throws(() => decodeChunk(bytes.subarray(0, bytes.length - 8), "c"), /c: .*bytes where its header/);
  const wrong = bytes.slice();
  wrong[0] = 0;
  assert.throws(() => decodeChunk(wrong, "c"), /wrong magic/);
  const open = bytes.slice();
  open[56] = 0; // the only step's termination flag: header 32, reward 8, length 4, 2 observations 8, action 4
  assert.throws(() => decodeChunk(open, "c"), DatasetError);
});

test("record → files → read back chunk by chunk, several chunks, Discrete actions one-hot; list shows it", () => {
  const dir = store();
  const out = join(dir, "datasets", "cp-random");
  const m = recordDataset({ envId: "CartPole-v1", policy: "random", episodes: 7, out, seed: 3 });
  assert.equal(m.episodes, 7);
  assert.equal(m.actionSize, 2);
  const source = new FileDatasetSource(out);
  let steps = 0;
  for (const c of source.chunks()) {
    steps += c.steps;
    for (let t = 0; t < c.steps; t++) assert.equal(c.actions[2 * t]! + c.actions[2 * t + 1]!, 1);
  }
  assert.equal(steps, m.steps);
  const data = loadTransitions(source, { discrete: true });
  assert.equal(data.buffer.size, m.steps);
  assert.equal(data.returns.length, 7);
  assert.ok(Math.abs(data.returns.reduce((a, b) => a + b, 0) / 7 - m.returns.mean) < 1e-9);
  // CartPole's reward is 1 per step: returns are lengths; the last step of each episode ends it
  assert.equal(data.returns.reduce((a, b) => a + b, 0), m.steps);
  assert.deepEqual(listDatasets(dir).map((d) => d.name), ["cp-random"]);
  // the same seed records the same episodes
  const again = recordDataset({ envId: "CartPole-v1", policy: "random", episodes: 7, out: join(dir, "datasets", "cp-random-2"), seed: 3 });
  assert.deepEqual(again.returns, m.returns);
});

test("the writer splits chunks between episodes; next observations follow episode boundaries", () => {
  const dir = join(store(), "datasets", "small");
  const space = new Box(-10, 10, [1]);
  const w = new DatasetWriter(dir, { envId: "X", observationSpace: space, actionSpace: space, source: {}, chunkSteps: 3 });
  for (let e = 0; e < 4; e++) {
    w.begin([e * 10]);
    for (let t = 1; t <= 2; t++) w.step([t], t, t === 2, false, [e * 10 + t]);
  }
  const m = w.finish();
  assert.equal(m.chunks.length, 2); // 2 episodes (4 steps ≥ 3) per chunk
  const data = loadTransitions(new FileDatasetSource(dir));
  assert.deepEqual(Array.from(data.buffer.obs), [0, 1, 10, 11, 20, 21, 30, 31]);
  assert.deepEqual(Array.from(data.buffer.nextObs), [1, 2, 11, 12, 21, 22, 31, 32]);
  assert.deepEqual(Array.from(data.buffer.dones), [0, 1, 0, 1, 0, 1, 0, 1]);
});

test("a corrupted or truncated chunk is named with what to do; the manifest's counts are checked", () => {
  const dir = store();
  const out = join(dir, "datasets", "p");
  recordDataset({ envId: "Pendulum-v1", policy: "random", episodes: 2, out });
  const chunk = join(out, "chunk-000000.bin");
  const bytes = readFileSync(chunk);
  bytes[100] ^= 1;
  writeFileSync(chunk, bytes);
  assert.throws(() => [...new FileDatasetSource(out).chunks()], /checksum mismatch .*record the dataset again/);
  truncateSync(chunk, 1000);
  assert.throws(() => [...new FileDatasetSource(out).chunks()], /has 1000 bytes, the manifest says \d+: the file is truncated/);
  const manifest = JSON.parse(readFileSync(join(out, "dataset.json"), "utf8"));
  writeFileSync(join(out, "dataset.json"), JSON.stringify({ ...manifest, steps: 5 }));
  assert.throws(() => new FileDatasetSource(out), /chunks hold 2 episodes and 400 steps, the manifest says 2 and 5/);
});

test("empty datasets and failed recordings leave nothing behind; an existing dataset is not overwritten", () => {
  const dir = store();
  const datasets = join(dir, "datasets");
  const space = new Box(-1, 1, [1]);
  const w = new DatasetWriter(join(datasets, "empty"), { envId: "X", observationSpace: space, actionSpace: space, source: {} });
  w.begin([0]);
  w.step([0], 0, false, false, [0]); // an episode that never ends is not recorded
  assert.throws(() => w.finish(), /would be empty .*nothing was written/);
  assert.deepEqual(readdirSync(datasets), []);
  assert.throws(() => recordDataset({ envId: "Pendulum-v1", policy: "random", episodes: 0, out: join(datasets, "zero") }), /episodes must be an integer ≥ 1/);
  recordDataset({ envId: "Pendulum-v1", policy: "random", episodes: 1, out: join(datasets, "one") });
  assert.throws(() => recordDataset({ envId: "Pendulum-v1", policy: "random", episodes: 1, out: join(datasets, "one") }), /already exists/);
  // a step with a NaN reward stops the recording: the temp directory is removed
  const bad = new DatasetWriter(join(datasets, "nan"), { envId: "X", observationSpace: space, actionSpace: space, source: {} });
  bad.begin([0]);
  assert.throws(() => bad.step([0], NaN, true, false, [0]), /not finite/);
  bad.abort();
  assert.deepEqual(readdirSync(datasets), ["one"]);
});

test("spaces that do not match the env are refused, naming both", () => {
  const dir = join(store(), "datasets", "p");
  const m = recordDataset({ envId: "Pendulum-v1", policy: "random", episodes: 1, out: dir });
  const cartpole = make("CartPole-v1");
  assert.throws(() => checkDatasetSpaces(m, "CartPole-v1", cartpole.observationSpace, cartpole.actionSpace), /recorded on Pendulum-v1 with observation space .* but CartPole-v1 has Box.*--env Pendulum-v1/);
  const pendulum = make("Pendulum-v1");
  checkDatasetSpaces(m, "Pendulum-v1", pendulum.observationSpace, pendulum.actionSpace);
});

test("any space flattens into the chunk: Dict observations, Discrete actions", () => {
  const obsSpace = new Dict({ a: new Discrete(3), b: new Box(-1, 1, [2]) });
  const dir = join(store(), "datasets", "dict");
  const w = new DatasetWriter(dir, { envId: "X", observationSpace: obsSpace, actionSpace: new Discrete(2), source: {} });
  const rng = new Random(0);
  w.begin([0, 1, 0, 0.5, -0.5]);
  w.step([1, 0], rng.random(), true, false, [0, 0, 1, 0, 0]);
  const m = w.finish();
  assert.equal(m.obsSize, 5);
  assert.deepEqual(m.observationSpace, obsSpace.toJSON());
  assert.throws(() => new DatasetWriter(join(store(), "datasets", "d2"), { envId: "X", observationSpace: obsSpace, actionSpace: new Discrete(2), source: {} }).begin([1, 2]), /observation has 2 values, the dataset's spaces flatten to 5/);
});
