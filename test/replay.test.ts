import assert from "node:assert/strict";
import { test } from "node:test";
import { ReplayBuffer } from "../src/algos/replay-buffer.js";
import { Random } from "../src/rng/random.js";

test("replay buffer: Box actions, ring overwrite, uniform indices, state round trip", () => {
  const buf = new ReplayBuffer({ capacity: 4, obsSize: 2, actions: 3 });
  for (let t = 0; t < 6; t++) buf.add([t, -t], [t + 1, -t - 1], [t, 2 * t, 3 * t], t / 10, t === 5 ? 1 : 0);
  assert.equal(buf.size, 4);
  assert.deepEqual(Array.from(buf.obs), [4, -4, 5, -5, 2, -2, 3, -3]); // rows 0, 1 overwritten by t = 4, 5
  assert.deepEqual(Array.from(buf.actions.subarray(0, 3)), [4, 8, 12]);
  const batch = buf.batch(64);
  buf.sample(new Random(1), batch, 0.9);
  for (let b = 0; b < 64; b++) {
    const t = batch.obs[2 * b]!;
    assert.deepEqual([batch.nextObs[2 * b], batch.actions[3 * b + 2], batch.discounts[b]], [t + 1, 3 * t, t === 5 ? 0 : 0.9]);
    assert.ok(Math.abs(batch.rewards[b]! - t / 10) < 1e-6);
  }
  const copy = new ReplayBuffer({ capacity: 4, obsSize: 2, actions: 3 });
  copy.setState(buf.getState(), new Map(buf.tensors().map((t) => [t.name, t])));
  const again = copy.batch(64);
  copy.sample(new Random(1), again, 0.9);
  assert.deepEqual(again, batch);
  assert.throws(() => new ReplayBuffer({ capacity: 0, obsSize: 2, actions: "discrete" }), /capacity must be a positive integer/);
  assert.throws(() => new ReplayBuffer({ capacity: 2, obsSize: 2, actions: 0 }), /actions must be "discrete" or a positive action size/);
});

test("replay buffer: n-step returns follow each env's stream and stop at episode ends and the newest row", () => {
  // two envs adding in turn; env 0 terminates at its t = 2, env 1 is truncated at its t = 1
  const buf = new ReplayBuffer({ capacity: 16, obsSize: 1, actions: "discrete", numEnvs: 2 });
  const rewards = [[1, 2, 4, 8], [10, 20, 40, 80]];
  for (let t = 0; t < 4; t++) {
    for (let e = 0; e < 2; e++) {
      const terminated = e === 0 && t === 2 ? 1 : 0, truncated = e === 1 && t === 1 ? 1 : 0;
      buf.add([100 * e + t], [100 * e + t + 0.5], e, rewards[e]![t]!, terminated, truncated);
    }
  }
  const g = 0.5;
  const batch = buf.batch(200);
  buf.sample(new Random(3), batch, g, 3);
  const expected = (e: number, t: number): [number, number, number] => {
    // [reward sum, discount, next obs]
    if (e === 0) {
      if (t === 0) return [1 + g * 2 + g * g * 4, 0, 2.5];
      if (t === 1) return [2 + g * 4, 0, 2.5];
      if (t === 2) return [4, 0, 2.5];
      return [8, g, 3.5]; // the newest row: nothing after it yet
    }
    if (t === 0) return [10 + g * 20, g * g, 101.5]; // truncation ends the sum but bootstraps
    if (t === 1) return [20, g, 101.5];
    if (t === 2) return [40 + g * 80, g * g, 103.5];
    return [80, g, 103.5];
  };
  const seen = new Set<number>();
  for (let b = 0; b < batch.size; b++) {
    const o = batch.obs[b]!, e = o >= 100 ? 1 : 0, t = o - 100 * e;
    seen.add(o);
    const [r, disc, next] = expected(e, t);
    assert.ok(Math.abs(batch.rewards[b]! - r) < 1e-9, `env ${e} t ${t}: reward ${batch.rewards[b]} vs ${r}`);
    assert.equal(batch.discounts[b], disc, `env ${e} t ${t}: discount`);
    assert.equal(batch.nextObs[b], next, `env ${e} t ${t}: next obs`);
    assert.equal(batch.actions[b], e);
  }
  assert.equal(seen.size, 8);
});

test("frugal replay buffer (SB3's optimize_memory_usage): no next-observation array, the same samples as the stored one", () => {
  // 3 envs, episodes of random lengths, wrapping the ring several times; compare every sampled batch with a plain buffer
  const numEnvs = 3, capacity = 20, d = 2;
  const plain = new ReplayBuffer({ capacity, obsSize: d, actions: 1, numEnvs });
  const frugal = new ReplayBuffer({ capacity, obsSize: d, actions: 1, numEnvs, frugal: true });
  assert.equal(frugal.nextObs.length, 0);
  const rng = new Random(9);
  const state = Array.from({ length: numEnvs }, (_, e) => [e, 0]);
  for (let t = 0; t < 70; t++) {
    for (let e = 0; e < numEnvs; e++) {
      const obs = state[e]!, ended = rng.random() < 0.2, terminated = ended && rng.random() < 0.5 ? 1 : 0;
      const next = [obs[0]! + 0.5, t + 0.25];
      for (const buf of [plain, frugal]) buf.add(obs, next, [e], t, terminated, ended && !terminated ? 1 : 0);
      state[e] = ended ? [100 + e, t + 1] : next; // a reset observation differs from the final one
    }
    if (t < 2) continue;
    const a = frugal.batch(32);
    frugal.sample(new Random(t), a, 0.9, 2);
    // every frugal sample is a real stored transition: compare with the plain buffer at the same row
    const b = plain.batch(32);
    b.indices.set(a.indices);
    for (let i = 0; i < 32; i++) {
      const row = a.indices[i]!;
      assert.deepEqual(Array.from(a.obs.subarray(i * d, i * d + d)), Array.from(plain.obs.subarray(row * d, row * d + d)), `t ${t} row ${row}: obs`);
    }
    const expected = plain.batch(32);
    const fixed = { integer: (() => { let k = 0; return () => a.indices[k++]!; })() } as unknown as Random;
    plain.sample(fixed, expected, 0.9, 2);
    assert.deepEqual(a.nextObs, expected.nextObs, `t ${t}: next observations`);
    assert.deepEqual(a.rewards, expected.rewards);
    assert.deepEqual(a.discounts, expected.discounts);
  }
  const copy = new ReplayBuffer({ capacity, obsSize: d, actions: 1, numEnvs, frugal: true });
  copy.setState(frugal.getState(), new Map(frugal.tensors().map((t) => [t.name, t])));
  const x = frugal.batch(64), y = copy.batch(64);
  frugal.sample(new Random(1), x, 0.9, 3);
  copy.sample(new Random(1), y, 0.9, 3);
  assert.deepEqual(y, x);
});
