/**
 * Batched sampling from a Transformer with its KV cache: every row advances one position per step;
 * a row still inside its prompt is fed its next prompt token, a row past it gets a sampled token,
 * until every row has produced its stop token or `maxNewTokens`, or the context is full.
 * Temperature, top-k and top-p (nucleus) filtering, seeded; temperature 0 is greedy.
 *
 * On a WASM space the fused path runs (transformer-decode.ts): one kernel call per position,
 * only for rows that still need it, and once per distinct prefix — the rows of a GRPO group share
 * their prompt, so it is computed once and its keys and values copied — with prompt positions
 * before the last making keys and values only. It draws the same tokens with the same
 * log-probabilities as the plain path (every row stepped through `Transformer.step`), bit for bit.
 */
import type { Random } from "../rng/random.js";
import type { FloatArray, Transformer } from "./transformer.js";
import { FusedDecoder } from "./transformer-decode.js";

export interface SampleOptions {
  maxNewTokens: number;
  /** 0 = greedy (argmax); default 1 */
  temperature?: number;
  /** keep only the k most likely tokens (0 = all) */
  topK?: number;
  /** keep the smallest set of tokens whose probability reaches topP (1 = all) */
  topP?: number;
  /** a row stops after producing this token (it is kept in its completion) */
  stopToken?: number;
  /** the random stream for sampling (not needed when greedy) */
  random?: Random;
  /** step every row through `Transformer.step` (the reference the fused path is tested against) */
  plain?: boolean;
}

export interface SampleResult {
  /** completion tokens per row (stop token included when produced) */
  completions: Int32Array[];
  /** log-probability of each completion token under the sampling distribution (after temperature/top-k/top-p) */
  logProbs: Float64Array[];
  /** the row stopped at maxNewTokens or the context, not at the stop token */
  truncated: boolean[];
}

export function sampleCompletions(model: Transformer, prompts: readonly ArrayLike<number>[], options: SampleOptions): SampleResult {
  const rows = prompts.length;
  const V = model.config.vocabSize;
  const temperature = options.temperature ?? 1;
  const topK = options.topK ?? 0;
  const topP = options.topP ?? 1;
  if (!(Number.isInteger(options.maxNewTokens) && options.maxNewTokens >= 1)) throw new RangeError(`maxNewTokens must be an integer >= 1, got ${options.maxNewTokens}`);
  if (!(temperature >= 0)) throw new RangeError(`temperature must be >= 0, got ${temperature}`);
  if (!(topP > 0 && topP <= 1)) throw new RangeError(`topP must be in (0, 1], got ${topP}`);
  if (temperature > 0 && !options.random) throw new Error("sampling at temperature > 0 needs a seeded Random");
  let longest = 0;
  for (const [r, p] of prompts.entries()) {
    if (p.length === 0) throw new RangeError(`prompt ${r} is empty`);
    if (p.length >= model.config.contextLength) throw new RangeError(`prompt ${r} has ${p.length} tokens; the model's context is ${model.config.contextLength} (prompts must be shorter to leave room for an answer)`);
    longest = Math.max(longest, p.length);
    for (let i = 0; i < p.length; i++) {
      const token = p[i]!;
      if (!(Number.isInteger(token) && token >= 0 && token < model.config.vocabSize)) throw new RangeError(`prompt ${r} has token ${token} at position ${i}, outside the model's vocabulary 0..${model.config.vocabSize - 1}`);
    }
  }
  const fused = options.plain ? null : FusedDecoder.for(model, rows);
  if (fused) return sampleFused(model, fused, prompts, options.maxNewTokens, longest, temperature, topK, topP, options);
  const kv = model.cacheFor(rows);
  const completions: number[][] = prompts.map(() => []);
  const logProbs: number[][] = prompts.map(() => []);
  const done = new Uint8Array(rows);
  const input = new Int32Array(rows);
  const probs = new Float64Array(V);
  const order = Int32Array.from({ length: V }, (_, i) => i);
  const shortest = Math.min(...prompts.map((p) => p.length));
  const lastPosition = Math.min(model.config.contextLength, longest + options.maxNewTokens);
  for (let r = 0; r < rows; r++) input[r] = prompts[r]![0]!;
  for (let pos = 0; pos < lastPosition; pos++) {
    const logits = model.step(kv, input, rows);
    if (pos + 1 < shortest) {
      for (let r = 0; r < rows; r++) input[r] = prompts[r]![pos + 1]!;
      continue;
    }
    let active = 0;
    for (let r = 0; r < rows; r++) {
      const prompt = prompts[r]!;
      if (pos + 1 < prompt.length) {
        input[r] = prompt[pos + 1]!;
        active++;
        continue;
      }
      if (done[r] || completions[r]!.length >= options.maxNewTokens) {
        input[r] = 0;
        continue;
      }
      const [token, logProb] = pick(logits, r * V, V, temperature, topK, topP, probs, order, options.random);
      completions[r]!.push(token);
      logProbs[r]!.push(logProb);
      input[r] = token;
      if (token === options.stopToken) done[r] = 1;
      else if (completions[r]!.length < options.maxNewTokens) active++;
    }
    if (active === 0) break;
  }
  return {
    completions: completions.map((c) => Int32Array.from(c)),
    logProbs: logProbs.map((l) => Float64Array.from(l)),
    truncated: completions.map((_, r) => done[r] === 0),
  };
}

/** The fused path: the plain path's row loop and draws, computing only distinct live prefixes. */
function sampleFused(model: Transformer, decoder: FusedDecoder, prompts: readonly ArrayLike<number>[], maxNew: number, longest: number, temperature: number, topK: number, topP: number, options: SampleOptions): SampleResult {
  const rows = prompts.length;
  const { vocabSize: V, contextLength, layers, dModel: C } = model.config;
  const kv = decoder.begin(rows);
  const out = new Int32Array(rows * maxNew);
  const outLogProbs = new Float64Array(rows * maxNew);
  const length = new Int32Array(rows);
  const done = new Uint8Array(rows);
  const probs = new Float64Array(V);
  const order = Int32Array.from({ length: V }, (_, i) => i);
  // prefix classes: rows with equal prefixes share a representative row; a class at the next
  // position is keyed by (representative at this one, token)
  const rep = new Int32Array(rows);
  const classOf = new Int32Array(rows * V).fill(-1);
  const keys = new Int32Array(rows);
  const full = new Uint8Array(rows);
  const slot = new Int32Array(rows);
  const live = new Uint8Array(rows);
  const lastPosition = Math.min(contextLength, longest + maxNew);
  for (let pos = 0; pos < lastPosition; pos++) {
    let nKeys = 0;
    for (let r = 0; r < rows; r++) {
      const prompt = prompts[r]!;
      live[r] = pos < prompt.length || (done[r] === 0 && length[r]! < maxNew) ? 1 : 0;
      if (!live[r]) continue;
      const token = pos < prompt.length ? prompt[pos]! : out[r * maxNew + length[r]! - 1]!;
      const key = rep[r]! * V + token;
      let first = classOf[key]!;
      if (first < 0) {
        first = classOf[key] = r;
        keys[nKeys++] = key;
        full[r] = 0;
      }
      rep[r] = first;
      // the class needs logits if any of its rows samples after this position
      if (pos + 1 >= prompt.length) full[first] = 1;
    }
    // compact rows: the classes that only make keys and values first, then those that need logits
    const tokens = decoder.tokens;
    const cacheRows = decoder.rows;
    let n = 0;
    let kvOnly = 0;
    for (let pass = 0; pass < 2; pass++) {
      for (let r = 0; r < rows; r++) {
        if (!live[r] || rep[r] !== r || full[r] !== pass) continue;
        const prompt = prompts[r]!;
        tokens[n] = pos < prompt.length ? prompt[pos]! : out[r * maxNew + length[r]! - 1]!;
        cacheRows[n] = r;
        slot[r] = n++;
      }
      if (pass === 0) kvOnly = n;
    }
    for (let k = 0; k < nKeys; k++) classOf[keys[k]!] = -1;
    decoder.run(0, kvOnly, pos, false);
    decoder.run(kvOnly, n, pos, true);
    const M: FloatArray = model.space.array;
    for (let r = 0; r < rows; r++) {
      const from = rep[r]!;
      if (!live[r] || from === r) continue;
      for (let l = 0; l < layers; l++) {
        const at = (from * contextLength + pos) * C;
        const to = (r * contextLength + pos) * C;
        M.copyWithin(kv.keys[l]! + to, kv.keys[l]! + at, kv.keys[l]! + at + C);
        M.copyWithin(kv.values[l]! + to, kv.values[l]! + at, kv.values[l]! + at + C);
      }
    }
    let active = 0;
    for (let r = 0; r < rows; r++) {
      const prompt = prompts[r]!;
      if (pos + 1 < prompt.length) {
        active++;
        continue;
      }
      if (done[r] || length[r]! >= maxNew) continue;
      const [token, logProb] = pick(M, kv.logits + slot[rep[r]!]! * V, V, temperature, topK, topP, probs, order, options.random);
      out[r * maxNew + length[r]!] = token;
      outLogProbs[r * maxNew + length[r]!] = logProb;
      length[r] = length[r]! + 1;
      if (token === options.stopToken) done[r] = 1;
      else if (length[r]! < maxNew) active++;
    }
    if (active === 0) break;
  }
  return {
    completions: prompts.map((_, r) => out.slice(r * maxNew, r * maxNew + length[r]!)),
    logProbs: prompts.map((_, r) => outLogProbs.slice(r * maxNew, r * maxNew + length[r]!)),
    truncated: prompts.map((_, r) => done[r] === 0),
  };
}

function pick(logits: ArrayLike<number>, offset: number, V: number, temperature: number, topK: number, topP: number, probs: Float64Array, order: Int32Array, random?: Random): [number, number] {
  for (let v = 0; v < V; v++) if (Number.isNaN(logits[offset + v]!)) throw new Error(`NaN in the model's logits (token ${v}); the parameters have diverged`);
  if (temperature === 0) {
    let best = 0;
    for (let v = 1; v < V; v++) if (logits[offset + v]! > logits[offset + best]!) best = v;
    return [best, 0];
  }
  let max = -Infinity;
  for (let v = 0; v < V; v++) max = Math.max(max, logits[offset + v]! / temperature);
  let sum = 0;
  for (let v = 0; v < V; v++) {
    probs[v] = Math.exp(logits[offset + v]! / temperature - max);
    sum += probs[v]!;
  }
  for (let v = 0; v < V; v++) probs[v] = probs[v]! / sum;
  if ((topK > 0 && topK < V) || topP < 1) {
    for (let v = 0; v < V; v++) order[v] = v;
    order.sort((a, b) => probs[b]! - probs[a]! || a - b);
    let kept = 0;
    let mass = 0;
    const limit = topK > 0 ? Math.min(topK, V) : V;
    // keep tokens in order of probability until top-k is reached or the kept mass reaches top-p
    while (kept < limit && (kept === 0 || mass < topP)) mass += probs[order[kept++]!]!;
    for (let i = kept; i < V; i++) probs[order[i]!] = 0;
    for (let v = 0; v < V; v++) probs[v] = probs[v]! / mass;
  }
  const u = random!.random();
  let cumulative = 0;
  let chosen = -1;
  for (let v = 0; v < V; v++) {
    if (probs[v] === 0) continue;
    cumulative += probs[v]!;
    chosen = v;
    if (u < cumulative) break;
  }
  return [chosen, Math.log(probs[chosen]!)];
}
