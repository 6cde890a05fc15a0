import assert from "node:assert/strict";
import { after, test } from "node:test";
import { Random } from "../src/rng/random.js";
import { Transformer } from "../src/nn/transformer.js";
import { wasmSpace } from "../src/nn/transformer-space.js";
import { nodeKernelThreads } from "../src/node/kernel-threads.js";
import { FusedDecoder } from "../src/nn/transformer-decode.js";
import { type SampleOptions, sampleCompletions } from "../src/nn/transformer-sample.js";

const config = { vocabSize: 11, contextLength: 14, layers: 2, dModel: 16, heads: 2, mlpHidden: 32 };

/** GRPO-like prompts: groups of equal prompts, prompts of several lengths, some a prefix of another. */
function prompts(random: Random): Int32Array[] {
  const distinct = Array.from({ length: 9 }, () => Int32Array.from({ length: 2 + random.integer(6) }, () => random.integer(config.vocabSize)));
  distinct.push(distinct[0]!.subarray(0, 1), Int32Array.from([...distinct[1]!, 4]));
  return Array.from({ length: 37 }, (_, i) => distinct[(i * 7) % distinct.length]!);
}

function both(model: Transformer, input: Int32Array[], options: Omit<SampleOptions, "random">, seed: number) {
  const plain = sampleCompletions(model, input, { ...options, plain: true, random: new Random(seed) });
  const fused = sampleCompletions(model, input, { ...options, random: new Random(seed) });
  return { plain, fused };
}

test("the fused path draws the plain path's tokens with bit-identical log-probabilities", () => {
  const model = new Transformer(config, { seed: 3, space: "wasm" });
  assert.ok(FusedDecoder.for(model, 37), "a wasm model gets the fused decoder");
  const input = prompts(new Random(1));
  const settings: Omit<SampleOptions, "random">[] = [
    { maxNewTokens: 6, temperature: 1, stopToken: 2 },
    { maxNewTokens: 20, temperature: 1.3 }, // runs into the context
    { maxNewTokens: 5, temperature: 0.8, topK: 4, topP: 0.9, stopToken: 5 },
    { maxNewTokens: 7, temperature: 0 },
  ];
  for (const [i, options] of settings.entries()) {
    const { plain, fused } = both(model, input, options, 10 + i);
    assert.deepEqual(fused.completions, plain.completions, `tokens, setting ${i}`);
    assert.deepEqual(fused.logProbs, plain.logProbs, `log-probs, setting ${i}`);
    assert.deepEqual(fused.truncated, plain.truncated, `truncation, setting ${i}`);
  }
  // the settings exercised what they were meant to: stops, truncation, full context
  const { plain } = both(model, input, settings[0]!, 10);
  assert.ok(plain.truncated.includes(true) && plain.truncated.includes(false));
  // a row that reaches the context's last position keeps the token drawn there
  assert.ok(both(model, input, settings[1]!, 11).plain.completions.some((c, r) => c.length + input[r]!.length === config.contextLength + 1));
});

test("the fused path after the model grew its cache, and after training changed the weights", () => {
  const model = new Transformer(config, { seed: 4, space: "wasm" });
  const input = prompts(new Random(2));
  const options = { maxNewTokens: 4, temperature: 1 };
  both(model, input.slice(0, 5), options, 1); // a smaller cache first
  let { plain, fused } = both(model, input, options, 2);
  assert.deepEqual(fused.logProbs, plain.logProbs);
  // the decoder reads the parameters in place: an update is seen by the next sampling
  for (let i = 0; i < model.params.length; i += 7) model.params[i] = model.params[i]! * 1.5;
  ({ plain, fused } = both(model, input, options, 2));
  assert.deepEqual(fused.logProbs, plain.logProbs);
});

test("shapes the fused kernel does not cover and plain-loop spaces use the plain path", () => {
  assert.equal(FusedDecoder.for(new Transformer({ ...config, dModel: 18, heads: 3 }, { space: "wasm" }), 4), null);
  assert.equal(FusedDecoder.for(new Transformer(config, { space: "js" }), 4), null);
  const model = new Transformer(config, { seed: 5, space: "wasm" });
  assert.throws(() => sampleCompletions(model, [Int32Array.from([1, 11])], { maxNewTokens: 2, temperature: 0 }), /prompt 0 has token 11 at position 1/);
});

test("on two threads the fused path splits each position's rows and still draws the plain path's tokens and log-probs", async () => {
  const space = wasmSpace(nodeKernelThreads(2));
  const parallel = space.parallel!;
  after(() => parallel.close());
  await parallel.ready();
  const threaded = new Transformer(config, { seed: 3, space });
  const single = new Transformer(config, { seed: 3, space: "wasm" });
  // 37 prompts × 3: enough rows at every position for several 16-row chunks
  const input = [...prompts(new Random(1)), ...prompts(new Random(2)), ...prompts(new Random(3))];
  const options = { maxNewTokens: 6, temperature: 1, stopToken: 2 };
  const helped = parallel.helperChunks;
  // rounds until the helper thread, started by the OS when it gets a core, has claimed a chunk (a loaded machine may take many)
  for (let round = 0; round < 200 && parallel.helperChunks === helped; round++) {
    const fused = sampleCompletions(threaded, input, { ...options, random: new Random(7) });
    const plain = sampleCompletions(single, input, { ...options, plain: true, random: new Random(7) });
    assert.deepEqual(fused.completions, plain.completions);
    assert.deepEqual(fused.logProbs, plain.logProbs);
  }
  assert.ok(parallel.helperChunks > helped, "the helper thread computed some of the rows");
});
