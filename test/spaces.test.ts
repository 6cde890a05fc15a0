/**
 * Discrete and Box: seeded samples against numpy 2.4 (expected values come from
 * `np.random.default_rng(seed)`, as Gymnasium's `space.seed(seed)` builds it), contains(), toString().
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Box, Discrete, spaces } from "../src/index.js";

// numpy: g = np.random.default_rng(seed); [int(g.integers(n)) for _ in range(12)]
const DISCRETE: Record<string, number[]> = {
  "0:2": [1, 1, 1, 0, 0, 0, 0, 0, 0, 1, 1, 1],
  "0:5": [4, 3, 2, 1, 1, 0, 0, 0, 0, 4, 3, 4],
  "0:1000": [850, 636, 511, 269, 307, 40, 75, 16, 175, 813, 649, 912],
  "123:2": [0, 1, 1, 0, 1, 0, 0, 0, 0, 0, 0, 1],
  "123:5": [0, 3, 2, 0, 4, 1, 1, 0, 1, 0, 1, 4],
  "123:1000": [15, 682, 592, 53, 909, 220, 255, 184, 333, 175, 347, 812],
};
// numpy: g = np.random.default_rng(9); [-1 + int(g.integers(3)) for _ in range(10)]  (Discrete(3, start=-1))
const DISCRETE_START = [0, 1, 1, -1, -1, 0, 1, 1, 0, 1];
// numpy: g = np.random.default_rng(seed); [np.float32(g.uniform(-2, 2, size=(1,))[0]) for _ in range(6)]
const BOX1: Record<number, number[]> = {
  0: [0.5478467345237732, -0.9208531379699707, -1.8361059427261353, -1.9338895082473755, 1.25308096408844, 1.6510223150253296],
  123: [0.7294074296951294, -1.7847158908843994, -1.118560552597046, -1.2625128030776978, -1.296376347541809, 1.248378038406372],
};
// numpy: low = np.array([-1, 0, 0.1], np.float32); high = np.array([1, 10, 0.3], np.float32)
//        g = np.random.default_rng(5); [g.uniform(low=low, high=high, size=(3,)).astype(np.float32) for _ in range(3)]
const BOX3 = [
  [0.6100058555603027, 8.079407691955566, 0.20306511223316193],
  [-0.4283972382545471, 0.5393069982528687, 0.1766737848520279],
  [-0.18305358290672302, 0.45275193452835083, 0.10975154489278793],
];

describe("Discrete", () => {
  for (const [key, want] of Object.entries(DISCRETE)) {
    const [seed, n] = key.split(":").map(Number) as [number, number];
    it(`Discrete(${n}).seed(${seed}) samples equal numpy default_rng(${seed}).integers(${n})`, () => {
      const space = new Discrete(n);
      assert.equal(space.seed(seed), seed);
      assert.deepEqual(want.map(() => space.sample()), want);
    });
  }

  it("start offsets the samples: Discrete(3, -1).seed(9)", () => {
    const space = new Discrete(3, -1);
    space.seed(9);
    assert.deepEqual(DISCRETE_START.map(() => space.sample()), DISCRETE_START);
  });

  it("re-seeding restarts the sequence; unseeded spaces still sample inside the space", () => {
    const space = new Discrete(1000);
    space.seed(0);
    const first = [space.sample(), space.sample()];
    space.seed(0);
    assert.deepEqual([space.sample(), space.sample()], first);
    const unseeded = new Discrete(4, 10);
    for (let k = 0; k < 50; k++) assert.ok(unseeded.contains(unseeded.sample()));
  });

  it("contains(): integers in [start, start + n) only", () => {
    const d = new Discrete(3);
    for (const x of [0, 1, 2]) assert.equal(d.contains(x), true, String(x));
    for (const x of [-1, 3, 1.5, NaN, Infinity, "1", [1], null, undefined, true, 1n]) {
      assert.equal(d.contains(x), false, `Discrete(3).contains(${String(x)})`);
    }
    const s = new Discrete(2, 5);
    assert.equal(s.contains(5), true);
    assert.equal(s.contains(6), true);
    assert.equal(s.contains(4), false);
    assert.equal(s.contains(7), false);
    assert.equal(s.contains(0), false);
  });

  it("toString() and toJSON()", () => {
    assert.equal(String(new Discrete(2)), "Discrete(2)");
    assert.equal(new Discrete(3, -1).toString(), "Discrete(3, start=-1)");
    assert.deepEqual(new Discrete(4, 2).toJSON(), { type: "Discrete", n: 4, start: 2 });
  });

  it("invalid n or start throws", () => {
    for (const n of [0, -2, 1.5, NaN]) assert.throws(() => new Discrete(n), RangeError, `n = ${n}`);
    assert.throws(() => new Discrete(2, 0.5), RangeError);
  });
});

describe("Box", () => {
  for (const seed of [0, 123]) {
    it(`Box(-2, 2, [1]).seed(${seed}) samples equal float32 of numpy uniform(-2, 2)`, () => {
      const box = new Box(-2, 2, [1]);
      box.seed(seed);
      const got = BOX1[seed]!.map(() => {
        const s = box.sample();
        assert.ok(s instanceof Float32Array);
        assert.equal(s.length, 1);
        return s[0]!;
      });
      assert.deepEqual(got, BOX1[seed]);
    });
  }

  it("per-element bounds (float32-rounded) match numpy uniform(low=f32, high=f32, size=3)", () => {
    const box = new Box([-1, 0, 0.1], [1, 10, 0.3]);
    box.seed(5);
    assert.deepEqual(BOX3.map(() => Array.from(box.sample())), BOX3);
  });

  it("float64 boxes sample float64 values", () => {
    const box = new Box(-2, 2, [1], "float64");
    box.seed(0);
    const s = box.sample();
    assert.ok(s instanceof Float64Array);
    // numpy: default_rng(0).uniform(-2, 2) = 4 * 0.6369616873214543 - 2
    assert.equal(s[0], -2 + 4 * 0.6369616873214543);
  });

  it("contains(): length, NaN, bounds, types", () => {
    const box = new Box([-1, 0], [1, 10]);
    assert.equal(box.contains([0, 5]), true);
    assert.equal(box.contains([-1, 0]), true, "bounds are inclusive");
    assert.equal(box.contains([1, 10]), true, "bounds are inclusive");
    assert.equal(box.contains(new Float32Array([0.5, 9.5])), true);
    assert.equal(box.contains(new Float64Array([0.5, 9.5])), true);
    assert.equal(box.contains([0]), false, "too short");
    assert.equal(box.contains([0, 5, 1]), false, "too long");
    assert.equal(box.contains([]), false);
    assert.equal(box.contains([NaN, 5]), false, "NaN");
    assert.equal(box.contains([0, NaN]), false, "NaN");
    assert.equal(box.contains([1.5, 5]), false, "above high");
    assert.equal(box.contains([0, -0.01]), false, "below low");
    assert.equal(box.contains([-Infinity, 5]), false);
    assert.equal(box.contains(["0", 5]), false, "strings are not numbers");
    assert.equal(box.contains(0.5), false, "a scalar is not an array");
    assert.equal(box.contains(null), false);
    assert.equal(box.contains({ 0: 0, 1: 1, length: 2 }), false);
    const one = new Box(-2, 2, [1]);
    assert.equal(one.contains([2]), true);
    assert.equal(one.contains(2), false);
    // float32 box: the value is cast to float32 before comparing, as np.asarray(x, dtype=float32) does
    assert.equal(one.contains([2 + 1e-9]), true);
    assert.equal(new Box(-2, 2, [1], "float64").contains([2 + 1e-9]), false);
  });

  it("toString() and toJSON()", () => {
    assert.equal(String(new Box(-2, 2, [1])), "Box(-2, 2, (1,), float32)");
    assert.equal(new Box(-1, 1, [2, 3], "float64").toString(), "Box(-1, 1, (2,3), float64)");
    assert.equal(new Box([-1, 0], [1, 10]).toString(), "Box([-1, 0], [1, 10], (2,), float32)");
    assert.deepEqual(new Box([-1, 0], [1, 10]).toJSON(), { type: "Box", low: [-1, 0], high: [1, 10], shape: [2], dtype: "float32" });
  });

  it("shape and size", () => {
    const box = new Box(0, 1, [2, 3]);
    assert.deepEqual(box.shape, [2, 3]);
    assert.equal(box.size, 6);
    box.seed(1);
    const s = box.sample();
    assert.equal(s.length, 6);
    assert.ok(box.contains(s));
  });

  it("invalid bounds throw; unbounded dimensions refuse to sample", () => {
    assert.throws(() => new Box(1, -1, [1]), RangeError);
    assert.throws(() => new Box(NaN, 1, [1]), RangeError);
    assert.throws(() => new Box([0, 2], [1, 1]), /index 1/);
    const unbounded = new Box(-Infinity, Infinity, [2]);
    unbounded.seed(0);
    assert.throws(() => unbounded.sample(), /unbounded/);
  });
});

describe("sameValues", () => {
  it("lets a bool Box match a Box of another dtype with the same shape and bounds, nothing else", () => {
    const grid = (dtype: "bool" | "float32" | "uint8") => new Box(0, 1, [10, 10, 4], dtype);
    assert.equal(spaces.sameValues(grid("bool"), grid("float32")), true);
    assert.equal(spaces.sameValues(grid("float32"), grid("bool")), true);
    assert.equal(spaces.sameValues(grid("float32"), grid("float32")), true);
    // neither is bool: 0.5 fits one and not the other
    assert.equal(spaces.sameValues(grid("float32"), grid("uint8")), false);
    assert.equal(spaces.sameValues(grid("bool"), new Box(0, 1, [10, 10, 3], "float32")), false);
    assert.equal(spaces.sameValues(grid("bool"), new Box(0, 2, [10, 10, 4], "float32")), false);
    assert.equal(spaces.sameValues(new Discrete(2), new Box(0, 1, [1], "bool")), false);
    assert.equal(spaces.sameValues(new Discrete(3), new Discrete(3)), true);
  });
});
