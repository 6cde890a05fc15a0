/**
 * A decoder-only transformer of GPT-2's shape (nanoGPT without dropout): token + learned position
 * embeddings, pre-LayerNorm blocks of causal multi-head attention and a GELU MLP with residuals, a
 * final LayerNorm and an LM head tied to the token embedding. Forward and backward are written out
 * by hand over flat typed arrays, in the order of llm.c's `train_gpt2.c`, so every step can be read
 * and checked (test/transformer.test.ts compares the gradient with finite differences).
 *
 * Storage is Float32Array (Float64Array for gradient checks). Activations for the largest batch
 * seen are kept and reused, so a training step allocates nothing. Browser-safe.
 */
import { Random } from "../rng/random.js";
import type { Seed } from "../rng/seed-sequence.js";

export type FloatArray = Float32Array | Float64Array;

export interface TransformerConfig {
  vocabSize: number;
  /** the longest sequence (learned positions) */
  contextLength: number;
  layers: number;
  dModel: number;
  heads: number;
  /** hidden width of the MLP (GPT-2: 4 · dModel) */
  mlpHidden: number;
}

export interface ParameterEntry {
  name: string;
  shape: number[];
  offset: number;
  length: number;
  /** matrices and embeddings get weight decay; biases and LayerNorm gains do not (nanoGPT's rule) */
  decay: boolean;
}

/** Names, shapes and offsets of every parameter in the flat parameter array. */
export function parameterLayout(config: TransformerConfig): ParameterEntry[] {
  const { vocabSize: V, contextLength: T, layers, dModel: C, mlpHidden: H } = config;
  const entries: ParameterEntry[] = [];
  let offset = 0;
  const add = (name: string, shape: number[]) => {
    const length = shape.reduce((a, b) => a * b, 1);
    entries.push({ name, shape, offset, length, decay: shape.length >= 2 });
    offset += length;
  };
  add("wte", [V, C]);
  add("wpe", [T, C]);
  for (let l = 0; l < layers; l++) {
    add(`h${l}.ln1.weight`, [C]);
    add(`h${l}.ln1.bias`, [C]);
    add(`h${l}.attn.qkv.weight`, [3 * C, C]);
    add(`h${l}.attn.qkv.bias`, [3 * C]);
    add(`h${l}.attn.proj.weight`, [C, C]);
    add(`h${l}.attn.proj.bias`, [C]);
    add(`h${l}.ln2.weight`, [C]);
    add(`h${l}.ln2.bias`, [C]);
    add(`h${l}.mlp.fc.weight`, [H, C]);
    add(`h${l}.mlp.fc.bias`, [H]);
    add(`h${l}.mlp.proj.weight`, [C, H]);
    add(`h${l}.mlp.proj.bias`, [C]);
  }
  add("lnf.weight", [C]);
  add("lnf.bias", [C]);
  return entries;
}

export function checkTransformerConfig(config: TransformerConfig): void {
  for (const key of ["vocabSize", "contextLength", "layers", "dModel", "heads", "mlpHidden"] as const) {
    const v = config[key];
    if (!Number.isInteger(v) || v < 1) throw new RangeError(`transformer config: ${key} must be an integer >= 1, got ${v}`);
  }
  if (config.dModel % config.heads !== 0) throw new RangeError(`transformer config: dModel ${config.dModel} is not divisible by heads ${config.heads}`);
}

interface Block {
  ln1w: FloatArray; ln1b: FloatArray; qkvw: FloatArray; qkvb: FloatArray; projw: FloatArray; projb: FloatArray;
  ln2w: FloatArray; ln2b: FloatArray; fcw: FloatArray; fcb: FloatArray; fcprojw: FloatArray; fcprojb: FloatArray;
}

interface Weights {
  wte: FloatArray;
  wpe: FloatArray;
  blocks: Block[];
  lnfw: FloatArray;
  lnfb: FloatArray;
}

function viewsOf(flat: FloatArray, config: TransformerConfig): Weights {
  const layout = parameterLayout(config);
  const get = (name: string) => {
    const e = layout.find((x) => x.name === name)!;
    return flat.subarray(e.offset, e.offset + e.length);
  };
  const blocks: Block[] = [];
  for (let l = 0; l < config.layers; l++) {
    const p = `h${l}.`;
    blocks.push({
      ln1w: get(p + "ln1.weight"), ln1b: get(p + "ln1.bias"), qkvw: get(p + "attn.qkv.weight"), qkvb: get(p + "attn.qkv.bias"),
      projw: get(p + "attn.proj.weight"), projb: get(p + "attn.proj.bias"), ln2w: get(p + "ln2.weight"), ln2b: get(p + "ln2.bias"),
      fcw: get(p + "mlp.fc.weight"), fcb: get(p + "mlp.fc.bias"), fcprojw: get(p + "mlp.proj.weight"), fcprojb: get(p + "mlp.proj.bias"),
    });
  }
  return { wte: get("wte"), wpe: get("wpe"), blocks, lnfw: get("lnf.weight"), lnfb: get("lnf.bias") };
}

/** Activations kept from forward for backward, for B·T ≤ capacity positions. */
interface LayerActs {
  ln1: FloatArray; ln1Mean: FloatArray; ln1Rstd: FloatArray; qkv: FloatArray; atty: FloatArray; att: FloatArray;
  residual2: FloatArray; ln2: FloatArray; ln2Mean: FloatArray; ln2Rstd: FloatArray; fch: FloatArray; fchGelu: FloatArray; residual3: FloatArray;
}

export interface TransformerOptions {
  seed?: Seed;
  /** storage precision; Float64 is for gradient checks */
  float64?: boolean;
}

const LN_EPS = 1e-5;
const GELU_SCALE = Math.sqrt(2 / Math.PI);

export class Transformer {
  readonly config: TransformerConfig;
  readonly layout: ParameterEntry[];
  readonly numParameters: number;
  /** every parameter, one flat array (see `layout`) */
  readonly params: FloatArray;
  /** gradients, same layout; backward adds into it, `zeroGrad` clears it */
  readonly grads: FloatArray;
  private readonly w: Weights;
  private readonly g: Weights;
  private readonly float64: boolean;
  private capacity = 0;
  private B = 0;
  private T = 0;
  private tokens = new Int32Array(0);
  private encoded!: FloatArray;
  private acts: LayerActs[] = [];
  private lnf!: FloatArray;
  private lnfMean!: FloatArray;
  private lnfRstd!: FloatArray;
  /** logits, B × T × V, of the last forward */
  logits!: FloatArray;
  /** log-sum-exp of each position's logits */
  private lse!: Float64Array;
  // backward scratch
  private dresidual!: FloatArray;
  private dbtc!: FloatArray;
  private dqkv!: FloatArray;
  private dh1!: FloatArray;
  private dh2!: FloatArray;
  private datt!: FloatArray;
  private dlogits!: FloatArray;

  constructor(config: TransformerConfig, options: TransformerOptions = {}) {
    checkTransformerConfig(config);
    this.config = { ...config };
    this.float64 = options.float64 ?? false;
    this.layout = parameterLayout(config);
    const last = this.layout[this.layout.length - 1]!;
    this.numParameters = last.offset + last.length;
    this.params = this.alloc(this.numParameters);
    this.grads = this.alloc(this.numParameters);
    this.w = viewsOf(this.params, config);
    this.g = viewsOf(this.grads, config);
    this.initialize(options.seed ?? 0);
  }

  private alloc(n: number): FloatArray {
    return this.float64 ? new Float64Array(n) : new Float32Array(n);
  }

  /** GPT-2's init: N(0, 0.02) for matrices and embeddings, 0.02/√(2·layers) for the two residual projections, LayerNorm 1/0, biases 0. */
  initialize(seed: Seed): void {
    const random = new Random(seed);
    const residualStd = 0.02 / Math.sqrt(2 * this.config.layers);
    for (const e of this.layout) {
      const view = this.params.subarray(e.offset, e.offset + e.length);
      if (e.shape.length >= 2) {
        const std = e.name.endsWith("attn.proj.weight") || e.name.endsWith("mlp.proj.weight") ? residualStd : 0.02;
        for (let i = 0; i < view.length; i++) view[i] = random.normal() * std;
      } else view.fill(e.name.includes("ln") && e.name.endsWith(".weight") ? 1 : 0);
    }
  }

  zeroGrad(): void {
    this.grads.fill(0);
  }

  private ensureCapacity(B: number, T: number): void {
    const { vocabSize: V, dModel: C, heads: NH, mlpHidden: H, layers } = this.config;
    const BT = B * T;
    if (BT > this.capacity) {
      const cap = BT;
      // attention maps need B·NH·T·T ≤ cap·NH·contextLength
      const attSize = cap * NH * this.config.contextLength;
      this.encoded = this.alloc(cap * C);
      this.acts = [];
      for (let l = 0; l < layers; l++) {
        this.acts.push({
          ln1: this.alloc(cap * C), ln1Mean: this.alloc(cap), ln1Rstd: this.alloc(cap), qkv: this.alloc(cap * 3 * C), atty: this.alloc(cap * C),
          att: this.alloc(attSize), residual2: this.alloc(cap * C), ln2: this.alloc(cap * C), ln2Mean: this.alloc(cap), ln2Rstd: this.alloc(cap),
          fch: this.alloc(cap * H), fchGelu: this.alloc(cap * H), residual3: this.alloc(cap * C),
        });
      }
      this.lnf = this.alloc(cap * C);
      this.lnfMean = this.alloc(cap);
      this.lnfRstd = this.alloc(cap);
      this.logits = this.alloc(cap * V);
      this.lse = new Float64Array(cap);
      this.dresidual = this.alloc(cap * C);
      this.dbtc = this.alloc(cap * C);
      this.dqkv = this.alloc(cap * 3 * C);
      this.dh1 = this.alloc(cap * H);
      this.dh2 = this.alloc(cap * H);
      this.datt = this.alloc(attSize);
      this.dlogits = this.alloc(cap * V);
      this.tokens = new Int32Array(cap);
      this.capacity = cap;
    }
  }

  /** Runs B sequences of T tokens (row-major); fills `logits` (B × T × V) and keeps what backward needs. */
  forward(tokens: ArrayLike<number>, B: number, T: number): FloatArray {
    const { vocabSize: V, contextLength, dModel: C, heads: NH, mlpHidden: H } = this.config;
    if (T > contextLength) throw new RangeError(`sequence of ${T} tokens is longer than the model's context ${contextLength}`);
    if (tokens.length < B * T) throw new RangeError(`forward: ${tokens.length} tokens given for B ${B} × T ${T}`);
    this.ensureCapacity(B, T);
    this.B = B;
    this.T = T;
    const BT = B * T;
    for (let i = 0; i < BT; i++) {
      const tok = tokens[i]!;
      if (!(tok >= 0 && tok < V)) throw new RangeError(`token ${tok} at position ${i} is outside the vocabulary 0..${V - 1}`);
      this.tokens[i] = tok;
    }
    const { wte, wpe, blocks } = this.w;
    // token + position embedding
    for (let b = 0; b < B; b++)
      for (let t = 0; t < T; t++) {
        const o = (b * T + t) * C;
        const te = this.tokens[b * T + t]! * C;
        const pe = t * C;
        for (let i = 0; i < C; i++) this.encoded[o + i] = wte[te + i]! + wpe[pe + i]!;
      }
    let residual = this.encoded;
    for (let l = 0; l < blocks.length; l++) {
      const p = blocks[l]!;
      const a = this.acts[l]!;
      layerNormForward(a.ln1, a.ln1Mean, a.ln1Rstd, residual, p.ln1w, p.ln1b, BT, C);
      matmulForward(a.qkv, a.ln1, p.qkvw, p.qkvb, BT, C, 3 * C);
      attentionForward(a.atty, a.att, a.qkv, B, T, C, NH);
      matmulForward(a.residual2, a.atty, p.projw, p.projb, BT, C, C);
      addInPlace(a.residual2, residual, BT * C);
      layerNormForward(a.ln2, a.ln2Mean, a.ln2Rstd, a.residual2, p.ln2w, p.ln2b, BT, C);
      matmulForward(a.fch, a.ln2, p.fcw, p.fcb, BT, C, H);
      geluForward(a.fchGelu, a.fch, BT * H);
      matmulForward(a.residual3, a.fchGelu, p.fcprojw, p.fcprojb, BT, H, C);
      addInPlace(a.residual3, a.residual2, BT * C);
      residual = a.residual3;
    }
    layerNormForward(this.lnf, this.lnfMean, this.lnfRstd, residual, this.w.lnfw, this.w.lnfb, BT, C);
    matmulForward(this.logits, this.lnf, wte, null, BT, C, V);
    for (let i = 0; i < BT; i++) this.lse[i] = logSumExp(this.logits, i * V, V);
    return this.logits;
  }

  /** log p(targets[i]) at each of the last forward's B·T positions, into `out` (targets outside the vocabulary give NaN-free 0). */
  tokenLogProbs(targets: ArrayLike<number>, out: Float64Array): Float64Array {
    const V = this.config.vocabSize;
    const BT = this.B * this.T;
    for (let i = 0; i < BT; i++) {
      const y = targets[i]!;
      out[i] = y >= 0 && y < V ? this.logits[i * V + y]! - this.lse[i]! : 0;
    }
    return out;
  }

  /** Entropy (nats) of the next-token distribution at position i of the last forward. */
  entropyAt(i: number): number {
    const V = this.config.vocabSize;
    const lse = this.lse[i]!;
    let h = 0;
    for (let v = 0; v < V; v++) {
      const logp = this.logits[i * V + v]! - lse;
      h -= Math.exp(logp) * logp;
    }
    return h;
  }

  /**
   * Backward from ∂loss/∂(log p(targets)) at each position of the last forward (B·T values; 0
   * where a position does not count). Adds the parameter gradients into `grads`.
   */
  backward(targets: ArrayLike<number>, gradLogProb: ArrayLike<number>): void {
    const { vocabSize: V, dModel: C, heads: NH, mlpHidden: H } = this.config;
    const B = this.B;
    const T = this.T;
    const BT = B * T;
    const { wte, blocks } = this.w;
    const g = this.g;
    // d log softmax(z)_y / dz_v = [v = y] − p_v
    const dlogits = this.dlogits;
    for (let i = 0; i < BT; i++) {
      const gi = gradLogProb[i]!;
      const o = i * V;
      if (gi === 0) {
        dlogits.fill(0, o, o + V);
        continue;
      }
      const lse = this.lse[i]!;
      for (let v = 0; v < V; v++) dlogits[o + v] = -gi * Math.exp(this.logits[o + v]! - lse);
      dlogits[o + targets[i]!] = dlogits[o + targets[i]!]! + gi;
    }
    const dres = this.dresidual;
    matmulBackward(this.dbtc, g.wte, null, dlogits, this.lnf, wte, BT, C, V);
    const lastResidual = blocks.length > 0 ? this.acts[blocks.length - 1]!.residual3 : this.encoded;
    dres.fill(0, 0, BT * C);
    layerNormBackward(dres, g.lnfw, g.lnfb, this.dbtc, lastResidual, this.w.lnfw, this.lnfMean, this.lnfRstd, BT, C);
    for (let l = blocks.length - 1; l >= 0; l--) {
      const p = blocks[l]!;
      const gp = g.blocks[l]!;
      const a = this.acts[l]!;
      const residual = l === 0 ? this.encoded : this.acts[l - 1]!.residual3;
      // residual3 = residual2 + mlp(ln2(residual2)); dres holds ∂/∂residual3 and becomes ∂/∂residual2
      matmulBackward(this.dh1, gp.fcprojw, gp.fcprojb, dres, a.fchGelu, p.fcprojw, BT, H, C);
      geluBackward(this.dh2, a.fch, this.dh1, BT * H);
      matmulBackward(this.dbtc, gp.fcw, gp.fcb, this.dh2, a.ln2, p.fcw, BT, C, H);
      layerNormBackward(dres, gp.ln2w, gp.ln2b, this.dbtc, a.residual2, p.ln2w, a.ln2Mean, a.ln2Rstd, BT, C);
      // residual2 = residual + proj(attention(ln1(residual)))
      matmulBackward(this.dbtc, gp.projw, gp.projb, dres, a.atty, p.projw, BT, C, C);
      attentionBackward(this.dqkv, this.datt, this.dbtc, a.qkv, a.att, B, T, C, NH);
      matmulBackward(this.dbtc, gp.qkvw, gp.qkvb, this.dqkv, a.ln1, p.qkvw, BT, C, 3 * C);
      layerNormBackward(dres, gp.ln1w, gp.ln1b, this.dbtc, residual, p.ln1w, a.ln1Mean, a.ln1Rstd, BT, C);
    }
    for (let b = 0; b < B; b++)
      for (let t = 0; t < T; t++) {
        const o = (b * T + t) * C;
        const te = this.tokens[b * T + t]! * C;
        const pe = t * C;
        for (let i = 0; i < C; i++) {
          const d = dres[o + i]!;
          g.wte[te + i] = g.wte[te + i]! + d;
          g.wpe[pe + i] = g.wpe[pe + i]! + d;
        }
      }
  }

  /** A KV cache for incremental decoding of up to `batch` sequences. */
  createCache(batch: number): KVCache {
    const { layers, contextLength, dModel: C, mlpHidden: H, vocabSize: V, heads: NH } = this.config;
    return {
      batch,
      length: 0,
      keys: Array.from({ length: layers }, () => this.alloc(batch * contextLength * C)),
      values: Array.from({ length: layers }, () => this.alloc(batch * contextLength * C)),
      x: this.alloc(batch * C),
      ln: this.alloc(batch * C),
      qkv: this.alloc(batch * 3 * C),
      y: this.alloc(batch * C),
      tmp: this.alloc(batch * C),
      h: this.alloc(batch * H),
      scores: new Float64Array(contextLength * NH),
      stats: this.alloc(2 * batch),
      logits: this.alloc(batch * V),
    };
  }

  /**
   * Feeds one token per sequence at position `cache.length` (the same position for every row),
   * appends their keys and values to the cache and returns the next-token logits (batch × V).
   */
  step(cache: KVCache, tokens: ArrayLike<number>, rows = cache.batch): FloatArray {
    const { vocabSize: V, contextLength, dModel: C, heads: NH, mlpHidden: H } = this.config;
    const pos = cache.length;
    if (pos >= contextLength) throw new RangeError(`the sequence reached the model's context ${contextLength}`);
    if (rows > cache.batch) throw new RangeError(`step: ${rows} rows for a cache of ${cache.batch}`);
    const { wte, wpe, blocks } = this.w;
    const { x, ln, qkv, y, tmp, h, stats } = cache;
    const mean = stats.subarray(0, rows);
    const rstd = stats.subarray(cache.batch, cache.batch + rows);
    for (let r = 0; r < rows; r++) {
      const tok = tokens[r]!;
      if (!(tok >= 0 && tok < V)) throw new RangeError(`token ${tok} of row ${r} is outside the vocabulary 0..${V - 1}`);
      for (let i = 0; i < C; i++) x[r * C + i] = wte[tok * C + i]! + wpe[pos * C + i]!;
    }
    const hs = C / NH;
    const scale = 1 / Math.sqrt(hs);
    for (let l = 0; l < blocks.length; l++) {
      const p = blocks[l]!;
      const K = cache.keys[l]!;
      const Vc = cache.values[l]!;
      layerNormForward(ln, mean, rstd, x, p.ln1w, p.ln1b, rows, C);
      matmulForward(qkv, ln, p.qkvw, p.qkvb, rows, C, 3 * C);
      for (let r = 0; r < rows; r++) {
        const base = (r * contextLength + pos) * C;
        for (let i = 0; i < C; i++) {
          K[base + i] = qkv[r * 3 * C + C + i]!;
          Vc[base + i] = qkv[r * 3 * C + 2 * C + i]!;
        }
        for (let head = 0; head < NH; head++) {
          const q = r * 3 * C + head * hs;
          let max = -Infinity;
          for (let t2 = 0; t2 <= pos; t2++) {
            const k = (r * contextLength + t2) * C + head * hs;
            let s = 0;
            for (let i = 0; i < hs; i++) s += qkv[q + i]! * K[k + i]!;
            s *= scale;
            cache.scores[t2] = s;
            if (s > max) max = s;
          }
          let sum = 0;
          for (let t2 = 0; t2 <= pos; t2++) {
            const e = Math.exp(cache.scores[t2]! - max);
            cache.scores[t2] = e;
            sum += e;
          }
          const yo = r * C + head * hs;
          for (let i = 0; i < hs; i++) y[yo + i] = 0;
          for (let t2 = 0; t2 <= pos; t2++) {
            const wgt = cache.scores[t2]! / sum;
            const v = (r * contextLength + t2) * C + head * hs;
            for (let i = 0; i < hs; i++) y[yo + i] = y[yo + i]! + wgt * Vc[v + i]!;
          }
        }
      }
      matmulForward(tmp, y, p.projw, p.projb, rows, C, C);
      addInPlace(x, tmp, rows * C);
      layerNormForward(ln, mean, rstd, x, p.ln2w, p.ln2b, rows, C);
      matmulForward(h, ln, p.fcw, p.fcb, rows, C, H);
      geluForward(h, h, rows * H);
      matmulForward(tmp, h, p.fcprojw, p.fcprojb, rows, H, C);
      addInPlace(x, tmp, rows * C);
    }
    layerNormForward(ln, mean, rstd, x, this.w.lnfw, this.w.lnfb, rows, C);
    matmulForward(cache.logits, ln, wte, null, rows, C, V);
    cache.length = pos + 1;
    return cache.logits;
  }
}

export interface KVCache {
  readonly batch: number;
  /** positions filled so far */
  length: number;
  readonly keys: FloatArray[];
  readonly values: FloatArray[];
  readonly x: FloatArray;
  readonly ln: FloatArray;
  readonly qkv: FloatArray;
  readonly y: FloatArray;
  readonly tmp: FloatArray;
  readonly h: FloatArray;
  readonly scores: Float64Array;
  readonly stats: FloatArray;
  readonly logits: FloatArray;
}

function logSumExp(x: FloatArray, offset: number, n: number): number {
  let max = -Infinity;
  for (let i = 0; i < n; i++) if (x[offset + i]! > max) max = x[offset + i]!;
  let sum = 0;
  for (let i = 0; i < n; i++) sum += Math.exp(x[offset + i]! - max);
  return max + Math.log(sum);
}

function addInPlace(out: FloatArray, x: FloatArray, n: number): void {
  for (let i = 0; i < n; i++) out[i] = out[i]! + x[i]!;
}

function layerNormForward(out: FloatArray, mean: FloatArray, rstd: FloatArray, inp: FloatArray, weight: FloatArray, bias: FloatArray, N: number, C: number): void {
  for (let n = 0; n < N; n++) {
    const o = n * C;
    let m = 0;
    for (let i = 0; i < C; i++) m += inp[o + i]!;
    m /= C;
    let v = 0;
    for (let i = 0; i < C; i++) {
      const d = inp[o + i]! - m;
      v += d * d;
    }
    v /= C;
    const s = 1 / Math.sqrt(v + LN_EPS);
    for (let i = 0; i < C; i++) out[o + i] = (inp[o + i]! - m) * s * weight[i]! + bias[i]!;
    mean[n] = m;
    rstd[n] = s;
  }
}

/** Adds ∂/∂inp into dinp (the residual stream's gradient) and the gain/bias gradients into dweight/dbias. */
function layerNormBackward(dinp: FloatArray, dweight: FloatArray, dbias: FloatArray, dout: FloatArray, inp: FloatArray, weight: FloatArray, mean: FloatArray, rstd: FloatArray, N: number, C: number): void {
  for (let n = 0; n < N; n++) {
    const o = n * C;
    const m = mean[n]!;
    const s = rstd[n]!;
    let dnormMean = 0;
    let dnormNormMean = 0;
    for (let i = 0; i < C; i++) {
      const norm = (inp[o + i]! - m) * s;
      const dnorm = weight[i]! * dout[o + i]!;
      dnormMean += dnorm;
      dnormNormMean += dnorm * norm;
    }
    dnormMean /= C;
    dnormNormMean /= C;
    for (let i = 0; i < C; i++) {
      const norm = (inp[o + i]! - m) * s;
      const dnorm = weight[i]! * dout[o + i]!;
      dbias[i] = dbias[i]! + dout[o + i]!;
      dweight[i] = dweight[i]! + norm * dout[o + i]!;
      dinp[o + i] = dinp[o + i]! + (dnorm - dnormMean - norm * dnormNormMean) * s;
    }
  }
}

/** out[n, o] = bias[o] + Σ_i inp[n, i] · weight[o, i]  (weight is OC × C, as torch's Linear) */
export function matmulForward(out: FloatArray, inp: FloatArray, weight: FloatArray, bias: FloatArray | null, N: number, C: number, OC: number): void {
  for (let n = 0; n < N; n++) {
    const io = n * C;
    const oo = n * OC;
    let o = 0;
    // four output columns per pass: each input value is loaded once for four weights
    for (; o + 4 <= OC; o += 4) {
      const w0 = o * C;
      const w1 = w0 + C;
      const w2 = w1 + C;
      const w3 = w2 + C;
      let s0 = 0;
      let s1 = 0;
      let s2 = 0;
      let s3 = 0;
      for (let i = 0; i < C; i++) {
        const x = inp[io + i]!;
        s0 += x * weight[w0 + i]!;
        s1 += x * weight[w1 + i]!;
        s2 += x * weight[w2 + i]!;
        s3 += x * weight[w3 + i]!;
      }
      if (bias) {
        s0 += bias[o]!;
        s1 += bias[o + 1]!;
        s2 += bias[o + 2]!;
        s3 += bias[o + 3]!;
      }
      out[oo + o] = s0;
      out[oo + o + 1] = s1;
      out[oo + o + 2] = s2;
      out[oo + o + 3] = s3;
    }
    for (; o < OC; o++) {
      const wo = o * C;
      let s = bias ? bias[o]! : 0;
      for (let i = 0; i < C; i++) s += inp[io + i]! * weight[wo + i]!;
      out[oo + o] = s;
    }
  }
}

/** dinp = dout · weight (overwritten); dweight += doutᵀ · inp; dbias += Σ_n dout */
export function matmulBackward(dinp: FloatArray, dweight: FloatArray, dbias: FloatArray | null, dout: FloatArray, inp: FloatArray, weight: FloatArray, N: number, C: number, OC: number): void {
  dinp.fill(0, 0, N * C);
  for (let n = 0; n < N; n++) {
    const io = n * C;
    const oo = n * OC;
    for (let o = 0; o < OC; o++) {
      const d = dout[oo + o]!;
      if (d === 0) continue;
      const wo = o * C;
      for (let i = 0; i < C; i++) {
        dinp[io + i] = dinp[io + i]! + d * weight[wo + i]!;
        dweight[wo + i] = dweight[wo + i]! + d * inp[io + i]!;
      }
      if (dbias) dbias[o] = dbias[o]! + d;
    }
  }
}

/** Causal self-attention over qkv (B, T, 3C: q | k | v, head h at columns h·hs…); att keeps the softmax (B, NH, T, T). */
function attentionForward(out: FloatArray, att: FloatArray, qkv: FloatArray, B: number, T: number, C: number, NH: number): void {
  const hs = C / NH;
  const scale = 1 / Math.sqrt(hs);
  const C3 = 3 * C;
  for (let b = 0; b < B; b++)
    for (let t = 0; t < T; t++)
      for (let h = 0; h < NH; h++) {
        const q = (b * T + t) * C3 + h * hs;
        const a = ((b * NH + h) * T + t) * T;
        let max = -Infinity;
        for (let t2 = 0; t2 <= t; t2++) {
          const k = (b * T + t2) * C3 + C + h * hs;
          let s = 0;
          for (let i = 0; i < hs; i++) s += qkv[q + i]! * qkv[k + i]!;
          s *= scale;
          att[a + t2] = s;
          if (s > max) max = s;
        }
        let sum = 0;
        for (let t2 = 0; t2 <= t; t2++) {
          const e = Math.exp(att[a + t2]! - max);
          att[a + t2] = e;
          sum += e;
        }
        const inv = 1 / sum;
        for (let t2 = 0; t2 <= t; t2++) att[a + t2] = att[a + t2]! * inv;
        for (let t2 = t + 1; t2 < T; t2++) att[a + t2] = 0;
        const o = (b * T + t) * C + h * hs;
        for (let i = 0; i < hs; i++) out[o + i] = 0;
        for (let t2 = 0; t2 <= t; t2++) {
          const v = (b * T + t2) * C3 + 2 * C + h * hs;
          const w = att[a + t2]!;
          for (let i = 0; i < hs; i++) out[o + i] = out[o + i]! + w * qkv[v + i]!;
        }
      }
}

/** dqkv (overwritten) from dout; datt is scratch of the size of att. */
function attentionBackward(dqkv: FloatArray, datt: FloatArray, dout: FloatArray, qkv: FloatArray, att: FloatArray, B: number, T: number, C: number, NH: number): void {
  const hs = C / NH;
  const scale = 1 / Math.sqrt(hs);
  const C3 = 3 * C;
  dqkv.fill(0, 0, B * T * C3);
  for (let b = 0; b < B; b++)
    for (let t = 0; t < T; t++)
      for (let h = 0; h < NH; h++) {
        const a = ((b * NH + h) * T + t) * T;
        const o = (b * T + t) * C + h * hs;
        const q = (b * T + t) * C3 + h * hs;
        // through the weighted sum of values
        for (let t2 = 0; t2 <= t; t2++) {
          const v = (b * T + t2) * C3 + 2 * C + h * hs;
          const w = att[a + t2]!;
          let d = 0;
          for (let i = 0; i < hs; i++) {
            d += qkv[v + i]! * dout[o + i]!;
            dqkv[v + i] = dqkv[v + i]! + w * dout[o + i]!;
          }
          datt[a + t2] = d;
        }
        // through the softmax: dpre = att ⊙ (datt − Σ att·datt)
        let dot = 0;
        for (let t2 = 0; t2 <= t; t2++) dot += att[a + t2]! * datt[a + t2]!;
        for (let t2 = 0; t2 <= t; t2++) {
          const dpre = att[a + t2]! * (datt[a + t2]! - dot) * scale;
          const k = (b * T + t2) * C3 + C + h * hs;
          for (let i = 0; i < hs; i++) {
            dqkv[q + i] = dqkv[q + i]! + qkv[k + i]! * dpre;
            dqkv[k + i] = dqkv[k + i]! + qkv[q + i]! * dpre;
          }
        }
      }
}

/** GPT-2's tanh approximation: 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³))) */
function geluForward(out: FloatArray, inp: FloatArray, n: number): void {
  for (let i = 0; i < n; i++) {
    const x = inp[i]!;
    out[i] = 0.5 * x * (1 + Math.tanh(GELU_SCALE * (x + 0.044715 * x * x * x)));
  }
}

function geluBackward(dinp: FloatArray, inp: FloatArray, dout: FloatArray, n: number): void {
  for (let i = 0; i < n; i++) {
    const x = inp[i]!;
    const cube = 0.044715 * x * x * x;
    const tanhArg = GELU_SCALE * (x + cube);
    const tanhOut = Math.tanh(tanhArg);
    const coshOut = Math.cosh(tanhArg);
    const sech2 = 1 / (coshOut * coshOut);
    const grad = 0.5 * (1 + tanhOut) + x * 0.5 * sech2 * GELU_SCALE * (1 + 3 * 0.044715 * x * x);
    dinp[i] = grad * dout[i]!;
  }
}
