/**
 * LegacyRandomState against numpy 1.24's `np.random.RandomState` (MT19937): raw words across the
 * first two twists and 1500 calls per seed in the forms MinAtar makes, with the number of 32-bit
 * words each call consumed (test/fixtures/refs/minatar/rng_vectors.jsonl, see SOURCE.txt).
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { LegacyRandomState, LegacyRandomStateBank } from "../src/rng/random-state.js";

const FILE = join(dirname(fileURLToPath(import.meta.url)), "fixtures", "refs", "minatar", "rng_vectors.jsonl");
type Call = [method: "rand" | "randint", args: number[], result: number | number[], words: number];
interface Vector {
  seed: number;
  u32_first_8: number[];
  u32_620_to_631: number[];
  u32_1240_to_1249: number[];
  calls: Call[];
}
const VECTORS: Vector[] = readFileSync(FILE, "utf8").split("\n").filter((l) => l.trim()).map((l) => JSON.parse(l) as Vector);

/** Counts the 32-bit words drawn, to check each call consumes what numpy's does. */
class CountingRandomState extends LegacyRandomState {
  words = 0;
  override nextUint32(): number {
    this.words++;
    return super.nextUint32();
  }
}

/** Runs one recorded call in the same form and returns [result, words drawn]. */
function replayCall(rng: CountingRandomState, [method, args]: Call): [number | number[], number] {
  const before = rng.words;
  let result: number | number[];
  if (method === "rand") result = args.length === 0 ? rng.rand() : Array.from(rng.randFill(new Float64Array(args[0]!)));
  else if (args.length === 3) result = Array.from(rng.randintFill(args[0]!, args[1]!, new Int32Array(args[2]!)));
  else if (args[0] === 0) result = rng.randint(args[1]!);
  else result = rng.randint(args[0]!, args[1]!);
  return [result, rng.words - before];
}

describe("LegacyRandomState = numpy's RandomState", () => {
  assert.equal(VECTORS.length, 3);
  for (const v of VECTORS) {
    it(`seed ${v.seed}: raw MT19937 words 0-7, 620-631, 1240-1249`, () => {
      const rng = new LegacyRandomState(v.seed);
      const words = Array.from({ length: 1250 }, () => rng.nextUint32());
      assert.deepEqual(words.slice(0, 8), v.u32_first_8);
      assert.deepEqual(words.slice(620, 632), v.u32_620_to_631);
      assert.deepEqual(words.slice(1240, 1250), v.u32_1240_to_1249);
    });

    it(`seed ${v.seed}: ${v.calls.length} rand/randint calls, results and words consumed`, () => {
      const rng = new CountingRandomState(v.seed);
      const forms = new Set<string>();
      v.calls.forEach((call, k) => {
        const [result, words] = replayCall(rng, call);
        assert.deepEqual([result, words], [call[2], call[3]], `call ${k}: ${call[0]}(${call[1].join(", ")})`);
        forms.add(`${call[0]}(${call[1].join(",")})`);
      });
      // every form MinAtar uses appears, including randint(1), which draws no word
      for (const form of ["rand()", "rand(8)", "randint(0,1)", "randint(0,3)", "randint(0,8)", "randint(1,9)", "randint(1,6,8)"]) assert.ok(forms.has(form), form);
    });

    it(`seed ${v.seed}: the state serializes and continues the same stream`, () => {
      const rng = new LegacyRandomState(v.seed);
      for (let k = 0; k < 700; k++) rng.rand();
      const state = JSON.parse(JSON.stringify(rng.getState()));
      const copy = new LegacyRandomState(0);
      copy.setState(state);
      const clone = rng.clone();
      const next = Array.from({ length: 100 }, () => rng.randint(7));
      assert.deepEqual(Array.from({ length: 100 }, () => copy.randint(7)), next);
      assert.deepEqual(Array.from({ length: 100 }, () => clone.randint(7)), next);
    });
  }

  it("init_by_array as numpy seeds RandomState([...]) (reference: the MT19937 authors' mt19937ar.out)", () => {
    // mt19937ar.c's init_by_array({0x123, 0x234, 0x345, 0x456}) prints these first outputs.
    const rng = new LegacyRandomState([0x123, 0x234, 0x345, 0x456]);
    assert.deepEqual(Array.from({ length: 5 }, () => rng.nextUint32()), [1067595299, 955945823, 477289528, 4107218783, 4228976476]);
    // a one-element array is squeezed to the scalar seed, as numpy does
    assert.deepEqual(new LegacyRandomState([100]).getState(), new LegacyRandomState(100).getState());
  });

  it("wide randint ranges use 64-bit words, high word first", () => {
    const a = new CountingRandomState(5);
    const b = new LegacyRandomState(5);
    const v = a.randint(0, 2 ** 40);
    assert.equal(a.words, 2);
    const hi = b.nextUint32() & 0xff;
    assert.equal(v, hi * 2 ** 32 + b.nextUint32());
  });

  it("a bank holds one RandomState per env in one (shareable) buffer", () => {
    const buffer = new SharedArrayBuffer(LegacyRandomStateBank.bytesFor(3));
    const bank = new LegacyRandomStateBank(3, buffer);
    for (let i = 0; i < 3; i++) bank.seed(i, 100 + i);
    bank.seed(2, 102n);
    const other = new LegacyRandomStateBank(3, buffer);
    for (let i = 0; i < 3; i++) {
      const single = new LegacyRandomState(100 + i);
      for (let k = 0; k < 700; k++) assert.equal(bank.get(i).rand(), single.rand(), `generator ${i} draw ${k}`);
      assert.deepEqual(other.getState(i), single.getState(), "a second bank over the same buffer sees the same state");
    }
    const saved = JSON.parse(JSON.stringify(bank.getState(1)));
    const next = bank.get(1).randint(1, 9);
    bank.setState(1, saved);
    assert.equal(bank.get(1).randint(1, 9), next);
    assert.throws(() => bank.seed(0, 2n ** 32n), /between 0 and 2\^32 - 1/);
    assert.throws(() => new LegacyRandomStateBank(4, buffer), /4 generators need/);
  });

  it("bad seeds and ranges say what is allowed", () => {
    assert.throws(() => new LegacyRandomState(-1), /between 0 and 2\^32 - 1.*got -1/);
    assert.throws(() => new LegacyRandomState(2 ** 32), /between 0 and 2\^32 - 1/);
    assert.throws(() => new LegacyRandomState(1.5), /integer between 0 and 2\^32 - 1/);
    assert.throws(() => new LegacyRandomState([]), /non-empty array/);
    assert.throws(() => new LegacyRandomState([1, -2]), /seed\[1\]/);
    assert.throws(() => new LegacyRandomState(1).randint(3, 3), /low >= high/);
    assert.throws(() => new LegacyRandomState(1).randint(0), /low >= high/);
    assert.throws(() => new LegacyRandomState(1).setState({ key: [1, 2], pos: 0 }), /624 integers/);
  });
});
