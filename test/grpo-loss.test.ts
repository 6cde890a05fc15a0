/** grpoAdvantages / grpoLoss against every case of test/fixtures/refs/grpo (TRL's _compute_loss, float64), at SOURCE.txt's tolerances. */
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { grpoAdvantages, grpoLoss } from "../src/index.js";
import type { GrpoLossType, ScaleRewards } from "../src/index.js";

interface LossCase {
  id: string;
  kind: "loss";
  B: number;
  L: number;
  G: number;
  inputs: { logProb: number[]; oldLogProb: number[]; refLogProb?: number[]; advantages: number[]; mask: number[] };
  options: { lossType: GrpoLossType; epsilonLow: number; epsilonHigh: number; beta: number; maxCompletionLength: number };
  rewards?: number[];
  advOptions?: { scaleRewards: ScaleRewards };
  tags: { lowClipped: number; highClipped: number };
  expected: { loss: number; gradLogProb: number[]; clipFraction: number; kl?: number; advantages?: number[] };
}
interface AdvantageCase {
  id: string;
  kind: "advantages";
  G: number;
  rewards: number[];
  options: { scaleRewards: ScaleRewards };
  expected: { advantages: number[] };
}

const file = join(dirname(fileURLToPath(import.meta.url)), "fixtures", "refs", "grpo", "cases.jsonl");
const cases = readFileSync(file, "utf8")
  .split("\n")
  .filter((l) => l.trim())
  .map((l) => JSON.parse(l) as LossCase | AdvantageCase);

function close(got: number, want: number, absolute: number, relative: number): boolean {
  return Math.abs(got - want) <= Math.max(absolute, relative * Math.abs(want));
}

test("the reference cases cover every loss type and the advantage modes", () => {
  assert.equal(cases.length, 180);
  assert.equal(cases.filter((c) => c.kind === "loss").length, 120);
});

test("grpoAdvantages matches TRL on every case (|Δ| <= 1e-12·max(1,|want|))", () => {
  let checked = 0;
  for (const c of cases) {
    const rewards = c.kind === "advantages" ? c.rewards : c.rewards;
    const options = c.kind === "advantages" ? c.options : c.advOptions;
    const want = c.expected.advantages;
    if (!rewards || !options || !want) continue;
    const got = grpoAdvantages(rewards, c.G, options);
    assert.equal(got.length, want.length, c.id);
    for (let i = 0; i < want.length; i++) {
      assert.ok(Math.abs(got[i]! - want[i]!) <= 1e-12 * Math.max(1, Math.abs(want[i]!)), `${c.id} advantage ${i}: got ${got[i]}, want ${want[i]}`);
    }
    checked++;
  }
  assert.equal(checked, 115);
});

test("grpoLoss matches TRL's _compute_loss on every case: loss and every gradient element", () => {
  for (const c of cases) {
    if (c.kind !== "loss") continue;
    const result = grpoLoss(
      {
        logProb: Float64Array.from(c.inputs.logProb),
        oldLogProb: Float64Array.from(c.inputs.oldLogProb),
        refLogProb: c.inputs.refLogProb ? Float64Array.from(c.inputs.refLogProb) : undefined,
        advantages: Float64Array.from(c.inputs.advantages),
        mask: Uint8Array.from(c.inputs.mask),
      },
      c.options,
    );
    assert.ok(close(result.loss, c.expected.loss, 1e-12, 1e-9), `${c.id} loss: got ${result.loss}, want ${c.expected.loss}`);
    for (let i = 0; i < c.expected.gradLogProb.length; i++) {
      const want = c.expected.gradLogProb[i]!;
      assert.ok(close(result.gradLogProb[i]!, want, 1e-12, 1e-9), `${c.id} grad ${i}: got ${result.gradLogProb[i]}, want ${want}`);
    }
    assert.ok(Math.abs(result.clipFraction - c.expected.clipFraction) < 1e-12, `${c.id} clipFraction ${result.clipFraction} vs ${c.expected.clipFraction}`);
    if (c.expected.kl !== undefined) assert.ok(close(result.kl, c.expected.kl, 1e-12, 1e-9), `${c.id} kl ${result.kl} vs ${c.expected.kl}`);
  }
});

test("grpoLoss gradient agrees with central finite differences of its own loss", () => {
  const B = 4;
  const L = 5;
  const logProb = Float64Array.from({ length: B * L }, (_, i) => -0.1 - ((i * 0.37) % 2));
  const oldLogProb = logProb.map((v, i) => v + 0.3 * Math.sin(i * 1.7));
  const refLogProb = logProb.map((v, i) => v + 0.2 * Math.cos(i));
  const advantages = Float64Array.from([1.2, -0.7, 0.3, -1.5]);
  const mask = Uint8Array.from({ length: B * L }, (_, i) => (i % L < 2 + (i % 3) ? 1 : 0));
  for (const lossType of ["grpo", "bnpo", "dr_grpo", "dapo"] as const) {
    const options = { lossType, epsilonLow: 0.2, epsilonHigh: 0.28, beta: 0.04, maxCompletionLength: 8 };
    const { gradLogProb } = grpoLoss({ logProb, oldLogProb, refLogProb, advantages, mask }, options);
    for (let t = 0; t < B * L; t++) {
      const h = 1e-6;
      const plus = logProb.slice();
      plus[t] = plus[t]! + h;
      const minus = logProb.slice();
      minus[t] = minus[t]! - h;
      const numeric = (grpoLoss({ logProb: plus, oldLogProb, refLogProb, advantages, mask }, options).loss - grpoLoss({ logProb: minus, oldLogProb, refLogProb, advantages, mask }, options).loss) / (2 * h);
      assert.ok(Math.abs(numeric - gradLogProb[t]!) < 1e-7, `${lossType} token ${t}: analytic ${gradLogProb[t]}, numeric ${numeric}`);
    }
  }
});

test("bad input names what is wrong", () => {
  const one = new Float64Array(3);
  assert.throws(() => grpoAdvantages([1, 2, 3], 2), /not a whole number of groups of 2/);
  assert.throws(() => grpoAdvantages([1, NaN], 2), /reward 1 is NaN/);
  assert.throws(() => grpoLoss({ logProb: one, oldLogProb: one, advantages: new Float64Array(2), mask: new Uint8Array(3) }), /not B × L/);
  assert.throws(() => grpoLoss({ logProb: one, oldLogProb: one, advantages: new Float64Array(1), mask: new Uint8Array(3) }, { beta: 0.1 }), /needs refLogProb/);
});

test("src/llm imports nothing Node-only (it runs in a browser)", () => {
  const dir = join(dirname(fileURLToPath(import.meta.url)), "..", "src", "llm");
  const offenders: string[] = [];
  for (const name of readdirSync(dir).filter((n) => n.endsWith(".ts"))) {
    const code = readFileSync(join(dir, name), "utf8").replace(/\/\*[\s\S]*?\*\/|\/\/.*$/gm, "");
    for (const pattern of [/from\s+["']node:/, /\bprocess\./, /\bBuffer\./, /\brequire\(/, /from\s+["']\.\.\/(node|cli|track|dashboard)\//]) if (pattern.test(code)) offenders.push(`${name}: ${pattern}`);
  }
  assert.deepEqual(offenders, []);
});
