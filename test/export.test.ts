/** `tsrl export`: the self-contained policy module acts as Policy.act does, in Node and in Chromium. */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { pathToFileURL } from "node:url";
import { type Browser, chromium } from "playwright-core";
import "../examples/catch/catch.js";
import { Box, DQN, PPO, Policy, createBackend } from "../src/index.js";
import { SAC, TD3 } from "../src/algos/index.js";
import { policyToOnnx } from "../src/export/onnx.js";
import { policyModuleSource } from "../src/export/policy-module.js";
import { uniforms } from "./random.js";

const dir = mkdtempSync(join(tmpdir(), "tsrl-export-"));
const OBSERVATIONS = 1000;

interface Case {
  name: string;
  bytes: Uint8Array;
  /** observation values drawn in [-scale, scale] */
  scale: number;
  binary?: boolean;
}

function trained(): Case[] {
  return [
    { name: "ppo-cartpole", bytes: learnAndSave(new PPO({ envId: "CartPole-v1", seed: 1, totalTimesteps: 8192 })), scale: 2 },
    { name: "ppo-pendulum", bytes: learnAndSave(new PPO({ envId: "Pendulum-v1", seed: 1, totalTimesteps: 4096, numSteps: 1024 })), scale: 1 },
    { name: "ppo-catch", bytes: learnAndSave(new PPO({ envId: "Catch-v0", seed: 1, totalTimesteps: 4096 })), scale: 1, binary: true },
    { name: "sac-pendulum", bytes: learnAndSave(new SAC({ envId: "Pendulum-v1", seed: 1, totalTimesteps: 600, learningStarts: 300 })), scale: 1 },
    { name: "td3-pendulum", bytes: learnAndSave(new TD3({ envId: "Pendulum-v1", seed: 1, totalTimesteps: 600, learningStarts: 300 })), scale: 1 },
    { name: "dqn-hl-gauss", bytes: learnAndSave(new DQN({ envId: "CartPole-v1", seed: 1, totalTimesteps: 2000, learningStarts: 500, loss: "hl-gauss" })), scale: 2 },
  ];
}

/** Trains briefly and returns the saved policy. */
function learnAndSave(agent: PPO | DQN | SAC | TD3): Uint8Array {
  agent.learn();
  return agent.savePolicy();
}

function observations(c: Case, size: number): Float32Array {
  const rand = uniforms(7);
  return Float32Array.from({ length: OBSERVATIONS * size }, () => (c.binary ? (rand() < 0.2 ? 1 : 0) : (2 * rand() - 1) * c.scale));
}

/** Policy.act on every observation with the given backend, as the exported module reports actions (Box actions clipped, Discrete plus start). */
function policyActions(bytes: Uint8Array, obs: Float32Array, backend: "js" | "wasm"): number[] {
  const policy = new Policy(bytes, { backend: createBackend(backend), maxBatch: OBSERVATIONS });
  const head = policy.saved.head;
  const out = new Float64Array(OBSERVATIONS * ("actionDim" in head ? head.actionDim : 1));
  policy.act(obs, OBSERVATIONS, out);
  if ("actionDim" in head) {
    const space = policy.actionSpace as Box;
    return Array.from(out, (v, i) => Math.fround(Math.min(space.high[i % head.actionDim]!, Math.max(space.low[i % head.actionDim]!, v))));
  }
  return Array.from(out);
}

describe("tsrl export: a policy as one ES module", () => {
  const cases = trained();
  const modules = new Map<string, { source: string; file: string }>();
  before(() => {
    for (const c of cases) {
      const source = policyModuleSource(c.bytes);
      const file = join(dir, `${c.name}.mjs`);
      writeFileSync(file, source);
      modules.set(c.name, { source, file });
    }
  });

  it("has no imports", () => {
    for (const { source } of modules.values()) assert.doesNotMatch(source, /^\s*import\s/m);
  });

  for (const c of cases) {
    it(`${c.name}: the same actions as Policy.act in Node on ${OBSERVATIONS} observations`, async () => {
      const policy = new Policy(c.bytes);
      const size = policy.network.inputSize;
      const obs = observations(c, size);
      const m = (await import(pathToFileURL(modules.get(c.name)!.file).href)) as { actBatch(o: Float32Array, n: number): ArrayLike<number>; act(o: unknown): unknown };
      const exported = Array.from(m.actBatch(obs, OBSERVATIONS));
      assert.deepEqual(exported, policyActions(c.bytes, obs, "js"), "identical to the js kernels");
      const wasm = policyActions(c.bytes, obs, "wasm");
      if ("actionDim" in policy.saved.head) exported.forEach((v, i) => assert.ok(Math.abs(v - wasm[i]!) < 1e-4, `row ${i}`));
      else assert.deepEqual(exported, wasm, "the same argmax as the WASM kernels");
      const one = m.act(Array.from(obs.subarray(0, size)));
      assert.deepEqual(typeof one === "number" ? [one] : Array.from(one as Float32Array), exported.slice(0, exported.length / OBSERVATIONS));
    });
  }

  describe("as ONNX, run by onnxruntime-web (its WASM build)", () => {
    for (const c of cases) {
      it(`${c.name}: the same actions as Policy.act`, async () => {
        const ort = await import("onnxruntime-web");
        const policy = new Policy(c.bytes);
        const size = policy.network.inputSize;
        const obs = observations(c, size);
        const session = await ort.InferenceSession.create(policyToOnnx(c.bytes));
        const out = await session.run({ obs: new ort.Tensor("float32", obs, [OBSERVATIONS, size]) });
        const actions = Array.from(out.action!.data as ArrayLike<number | bigint>, Number);
        const expected = policyActions(c.bytes, obs, "js");
        if ("actionDim" in policy.saved.head) actions.forEach((v, i) => assert.ok(Math.abs(v - expected[i]!) < 1e-4, `row ${i}: ${v} vs ${expected[i]}`));
        else assert.deepEqual(actions, expected);
      });
    }
  });

  describe("in Chromium", () => {
    let browser: Browser;
    before(async () => {
      if (!existsSync("/usr/bin/chromium")) throw new Error("the export tests need Debian's Chromium at /usr/bin/chromium: apt-get install chromium (.ci/run does it)");
      browser = await chromium.launch({ executablePath: "/usr/bin/chromium", args: ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"] });
    });
    after(async () => browser?.close());

    for (const c of cases) {
      it(`${c.name}: the page computes the same actions as Node`, async () => {
        const size = new Policy(c.bytes).network.inputSize;
        const obs = observations(c, size);
        const page = await browser.newPage();
        const actions = await page.evaluate(
          async ([source, values, n]) => {
            const url = URL.createObjectURL(new Blob([source as string], { type: "text/javascript" }));
            const m = await import(url);
            return Array.from(m.actBatch(Float32Array.from(values as number[]), n as number) as ArrayLike<number>);
          },
          [modules.get(c.name)!.source, Array.from(obs), OBSERVATIONS] as const,
        );
        await page.close();
        assert.deepEqual(actions, policyActions(c.bytes, obs, "js"));
      });
    }
  });

  it("the CLI writes the module from a policy file and refuses a non-.js output", () => {
    const policyFile = join(dir, "catch.tsrlpolicy");
    writeFileSync(policyFile, cases[2]!.bytes);
    const out = join(dir, "catch-policy.js");
    const run = (args: string[]) => spawnSync(process.execPath, ["--import", "tsx", "src/cli/main.ts", ...args], { encoding: "utf8" });
    const ok = run(["export", policyFile, "--out", out]);
    assert.equal(ok.status, 0, ok.stderr);
    assert.equal(readFileSync(out, "utf8"), modules.get("ppo-catch")!.source);
    const bad = run(["export", policyFile, "--out", join(dir, "x.txt")]);
    assert.notEqual(bad.status, 0);
    assert.match(bad.stderr, /--out must name a \.js or \.mjs file/);
  });
});
