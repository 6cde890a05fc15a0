import assert from "node:assert/strict";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import h5wasm from "h5wasm/node";
import { flatten } from "../src/envs/space-utils.js";
import { spaceFromJSON } from "../src/envs/spaces.js";
import { FileDatasetSource, recordDataset } from "../src/node/datasets.js";
import { exportMinari, importMinari } from "../src/node/minari.js";

const tmp = () => mkdtempSync(join(tmpdir(), "tsrl-minari-"));

test("a tsrl dataset written in Minari's layout reads back identically (Box and Discrete spaces)", async () => {
  const dir = tmp();
  for (const env of ["Pendulum-v1", "CartPole-v1"]) {
    recordDataset({ envId: env, policy: "random", episodes: 3, out: join(dir, env), seed: 4 });
    const minari = join(dir, `${env}-minari`);
    await exportMinari(new FileDatasetSource(join(dir, env)), minari);
    assert.deepEqual(readdirSync(join(minari, "data")).sort(), ["main_data.hdf5", "metadata.json"]);
    const back = await importMinari(minari, join(dir, `${env}-back`));
    assert.equal(back.envId, env);
    const a = [...new FileDatasetSource(join(dir, env)).chunks()][0]!, b = [...new FileDatasetSource(join(dir, `${env}-back`)).chunks()][0]!;
    for (const key of ["lengths", "observations", "actions", "rewards", "terminations", "truncations"] as const) assert.deepEqual(b[key], a[key], `${env} ${key}`);
  }
});

/**
 * A file built from Minari's documented layout with h5wasm directly (not tsrl's writer): a Dict
 * observation space (an unbounded float64 Box written with Python's bare Infinity, and a Discrete),
 * Discrete int64 actions, float64 rewards, int8 flags; the second episode stops without a flag.
 */
async function specFile(dir: string, options: { mixedDtypes?: boolean; episodes?: number } = {}): Promise<void> {
  await h5wasm.ready;
  mkdirSync(join(dir, "data"), { recursive: true });
  const space = (s: object) => JSON.stringify(s).replace(/"__inf__"/g, "Infinity").replace(/"__-inf__"/g, "-Infinity");
  writeFileSync(
    join(dir, "data", "metadata.json"),
    JSON.stringify({
      dataset_id: "toy/spec-v0",
      total_episodes: options.episodes ?? 2,
      total_steps: 5,
      data_format: "hdf5",
      observation_space: space({ type: "Dict", subspaces: { pos: { type: "Box", dtype: "float64", shape: [2], low: ["__-inf__", "__-inf__"], high: ["__inf__", "__inf__"] }, id: { type: "Discrete", dtype: "int64", start: 0, n: 4 } } }),
      action_space: space({ type: "Discrete", dtype: "int64", start: 0, n: 3 }),
      env_spec: JSON.stringify({ id: "Toy-v0", entry_point: "toy:Toy", max_episode_steps: 10 }),
      minari_version: "0.5.1",
    }),
  );
  const f = new h5wasm.File(join(dir, "data", "main_data.hdf5"), "w");
  const episodes = [
    { T: 3, pos: [0, 0.5, 1, 1.5, 2, 2.5, 3, 3.5], id: [0, 1, 2, 3], actions: [2, 1, 0], rewards: [0.25, -1, 2], term: [0, 0, 1], trunc: [0, 0, 0] },
    { T: 2, pos: [9, 8, 7, 6, 5, 4], id: [3, 3, 0], actions: [1, 1], rewards: [5, 6], term: [0, 0], trunc: [0, 0] },
  ];
  episodes.slice(0, options.episodes ?? 2).forEach((ep, e) => {
    const g = f.create_group(`episode_${e}`);
    g.create_attribute("id", e);
    g.create_attribute("total_steps", ep.T);
    const obs = g.create_group("observations");
    obs.create_dataset({ name: "pos", data: options.mixedDtypes && e === 1 ? Float32Array.from(ep.pos) : Float64Array.from(ep.pos), shape: [ep.T + 1, 2] });
    obs.create_dataset({ name: "id", data: BigInt64Array.from(ep.id, BigInt), shape: [ep.T + 1] });
    g.create_dataset({ name: "actions", data: BigInt64Array.from(ep.actions, BigInt), shape: [ep.T] });
    g.create_dataset({ name: "rewards", data: Float64Array.from(ep.rewards) });
    g.create_dataset({ name: "terminations", data: Int8Array.from(ep.term) });
    g.create_dataset({ name: "truncations", data: Int8Array.from(ep.trunc) });
  });
  f.close();
}

test("a Minari file built from the documented layout reads correctly: Dict observations, Discrete actions, Infinity bounds", async () => {
  const dir = tmp();
  await specFile(join(dir, "spec"));
  const m = await importMinari(join(dir, "spec"), join(dir, "imported"));
  assert.equal(m.envId, "Toy-v0");
  assert.deepEqual([m.episodes, m.steps], [2, 5]);
  const obsSpace = spaceFromJSON(m.observationSpace);
  assert.equal(String(obsSpace), 'Dict("id": Discrete(4), "pos": Box(-Infinity, Infinity, (2,), float64))');
  const c = [...new FileDatasetSource(join(dir, "imported")).chunks()][0]!;
  const row = (pos: number[], id: number) => Array.from(flatten(obsSpace, { pos: Float64Array.from(pos), id }));
  assert.deepEqual(Array.from(c.observations.subarray(0, 6)), row([0, 0.5], 0));
  assert.deepEqual(Array.from(c.observations.subarray(4 * 6, 5 * 6)), row([9, 8], 3)); // episode 1's first observation (after episode 0's 4)
  assert.deepEqual(Array.from(c.actions.subarray(0, 3)), [0, 0, 1]); // action 2, one-hot
  assert.deepEqual(Array.from(c.rewards), [0.25, -1, 2, 5, 6]);
  assert.deepEqual(Array.from(c.terminations), [0, 0, 1, 0, 0]);
  assert.deepEqual(Array.from(c.truncations), [0, 0, 0, 0, 1]); // stopped without a flag: truncated
});

test("bad Minari input: mixed dtypes and empty datasets are refused, nothing is written", async () => {
  const dir = tmp();
  await specFile(join(dir, "mixed"), { mixedDtypes: true });
  await assert.rejects(importMinari(join(dir, "mixed"), join(dir, "datasets", "out")), /episode_1\/observations\/pos has dtype <f but the first episode's observations\/pos has <d \(mixed dtypes\)/);
  await specFile(join(dir, "empty"), { episodes: 0 });
  await assert.rejects(importMinari(join(dir, "empty"), join(dir, "datasets", "out")), /total_episodes is 0; an empty dataset is not imported/);
  await assert.rejects(importMinari(join(dir, "nothing"), join(dir, "datasets", "out")), /no Minari dataset at/);
  assert.equal(existsSync(join(dir, "datasets", "out")), false);
  assert.deepEqual(existsSync(join(dir, "datasets")) ? readdirSync(join(dir, "datasets")) : [], []);
});
