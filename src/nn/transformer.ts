/**
 * A decoder-only transformer of GPT-2's shape (nanoGPT without dropout): token + learned position
 * embeddings, pre-LayerNorm blocks of causal multi-head attention and a GELU MLP with residuals, a
 * final LayerNorm and an LM head tied to the token embedding. Forward and backward are written out
 * by hand, in the order of llm.c's `train_gpt2.c`, so every step can be read and checked
 * (test/transformer.test.ts compares the gradient with finite differences).
 *
 * Every number — parameters, gradients, activations, KV caches — lives in one `Space` (see
 * transformer-space.ts) addressed by element offsets; every kernel (matrix products, LayerNorm,
 * GELU, attention) runs in WASM SIMD or in the plain-loop reference (float32, or float64 for
 * gradient checks). Linear weights are stored input-major (C_in × C_out, the transpose of
 * torch's Linear.weight). Activations for the largest batch seen are kept and reused, so a
 * training step allocates nothing. Browser-safe.
 */
import { Random } from "../rng/random.js";
import type { Seed } from "../rng/seed-sequence.js";
import { type FloatArray, type Space, type SpaceKind, createSpace } from "./transformer-space.js";

export type { FloatArray, SpaceKind } from "./transformer-space.js";

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
  /** offset within the parameter block */
  offset: number;
  length: number;
  /** matrices and embeddings get weight decay; biases and LayerNorm gains do not (nanoGPT's rule) */
  decay: boolean;
}

/** Names, shapes and offsets of every parameter in the flat parameter block. */
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
    add(`h${l}.attn.qkv.weight`, [C, 3 * C]);
    add(`h${l}.attn.qkv.bias`, [3 * C]);
    add(`h${l}.attn.proj.weight`, [C, C]);
    add(`h${l}.attn.proj.bias`, [C]);
    add(`h${l}.ln2.weight`, [C]);
    add(`h${l}.ln2.bias`, [C]);
    add(`h${l}.mlp.fc.weight`, [C, H]);
    add(`h${l}.mlp.fc.bias`, [H]);
    add(`h${l}.mlp.proj.weight`, [H, C]);
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

/** Offsets of one block's parameters (or of their gradients). */
interface Block {
  ln1w: number; ln1b: number; qkvw: number; qkvb: number; projw: number; projb: number;
  ln2w: number; ln2b: number; fcw: number; fcb: number; fcprojw: number; fcprojb: number;
}

interface Weights {
  wte: number;
  wpe: number;
  blocks: Block[];
  lnfw: number;
  lnfb: number;
}

function offsetsOf(base: number, layout: ParameterEntry[], layers: number): Weights {
  const at = new Map(layout.map((e) => [e.name, base + e.offset]));
  const get = (name: string) => at.get(name)!;
  const blocks: Block[] = [];
  for (let l = 0; l < layers; l++) {
    const p = `h${l}.`;
    blocks.push({
      ln1w: get(p + "ln1.weight"), ln1b: get(p + "ln1.bias"), qkvw: get(p + "attn.qkv.weight"), qkvb: get(p + "attn.qkv.bias"),
      projw: get(p + "attn.proj.weight"), projb: get(p + "attn.proj.bias"), ln2w: get(p + "ln2.weight"), ln2b: get(p + "ln2.bias"),
      fcw: get(p + "mlp.fc.weight"), fcb: get(p + "mlp.fc.bias"), fcprojw: get(p + "mlp.proj.weight"), fcprojb: get(p + "mlp.proj.bias"),
    });
  }
  return { wte: get("wte"), wpe: get("wpe"), blocks, lnfw: get("lnf.weight"), lnfb: get("lnf.bias") };
}

/** Offsets of what forward keeps for backward, per layer. */
interface LayerActs {
  ln1: number; ln1Mean: number; ln1Rstd: number; qkv: number; atty: number; att: number;
  residual2: number; ln2: number; ln2Mean: number; ln2Rstd: number; fch: number; fchTanh: number; fchGelu: number; residual3: number;
}

interface Activations {
  capacity: number;
  encoded: number;
  layers: LayerActs[];
  lnf: number;
  lnfMean: number;
  lnfRstd: number;
  logits: number;
  // backward scratch
  dresidual: number;
  dbtc: number;
  dqkv: number;
  dh1: number;
  dh2: number;
  datt: number;
  dlogits: number;
}

export interface TransformerOptions {
  seed?: Seed;
  /** where the numbers live and which kernels multiply them (default: wasm when available), or a space made for it (e.g. `wasmSpace(threads)`) */
  space?: SpaceKind | Space;
}

/** Per-sequence state for incremental decoding: keys and values of every layer, and step scratch (offsets). */
export interface KVCache {
  readonly batch: number;
  /** positions filled so far */
  length: number;
  readonly keys: number[];
  readonly values: number[];
  readonly x: number;
  readonly ln: number;
  readonly qkv: number;
  readonly y: number;
  readonly tmp: number;
  readonly h: number;
  readonly stats: number;
  /** attention scratch, contextLength floats */
  readonly scores: number;
  readonly logits: number;
}


export class Transformer {
  readonly config: TransformerConfig;
  readonly layout: ParameterEntry[];
  readonly numParameters: number;
  readonly space: Space;
  /** offset of the parameter block (then the gradient block) in the space */
  private readonly paramsAt: number;
  private readonly gradsAt: number;
  private readonly w: Weights;
  private readonly g: Weights;
  private acts: Activations | null = null;
  private cache: KVCache | null = null;
  private B = 0;
  private T = 0;
  private tokens = new Int32Array(0);
  private lse = new Float64Array(0);
  private viewsOf: FloatArray | null = null;
  private paramsView!: FloatArray;
  private gradsView!: FloatArray;

  constructor(config: TransformerConfig, options: TransformerOptions = {}) {
    checkTransformerConfig(config);
    this.config = { ...config };
    this.space = typeof options.space === "object" ? options.space : createSpace(options.space);
    this.layout = parameterLayout(config);
    const last = this.layout[this.layout.length - 1]!;
    this.numParameters = last.offset + last.length;
    this.paramsAt = this.space.alloc(this.numParameters);
    this.gradsAt = this.space.alloc(this.numParameters);
    this.w = offsetsOf(this.paramsAt, this.layout, config.layers);
    this.g = offsetsOf(this.gradsAt, this.layout, config.layers);
    this.initialize(options.seed ?? 0);
  }

  private refreshViews(): void {
    const M = this.space.array;
    if (this.viewsOf === M) return;
    this.paramsView = M.subarray(this.paramsAt, this.paramsAt + this.numParameters);
    this.gradsView = M.subarray(this.gradsAt, this.gradsAt + this.numParameters);
    this.viewsOf = M;
  }

  /** every parameter, one flat array in `layout` order (a view: valid until the model allocates more) */
  get params(): FloatArray {
    this.refreshViews();
    return this.paramsView;
  }

  /** gradients, same layout; backward adds into it, `zeroGrad` clears it */
  get grads(): FloatArray {
    this.refreshViews();
    return this.gradsView;
  }

  /** GPT-2's init: N(0, 0.02) for matrices and embeddings, 0.02/√(2·layers) for the two residual projections, LayerNorm 1/0, biases 0. */
  initialize(seed: Seed): void {
    const random = new Random(seed);
    const residualStd = 0.02 / Math.sqrt(2 * this.config.layers);
    const params = this.params;
    for (const e of this.layout) {
      const view = params.subarray(e.offset, e.offset + e.length);
      if (e.shape.length >= 2) {
        const std = e.name.endsWith("attn.proj.weight") || e.name.endsWith("mlp.proj.weight") ? residualStd : 0.02;
        for (let i = 0; i < view.length; i++) view[i] = random.normal() * std;
      } else view.fill(e.name.includes("ln") && e.name.endsWith(".weight") ? 1 : 0);
    }
  }

  zeroGrad(): void {
    this.grads.fill(0);
  }

  private activations(BT: number): Activations {
    if (this.acts && this.acts.capacity >= BT) return this.acts;
    const { vocabSize: V, dModel: C, heads: NH, mlpHidden: H, layers, contextLength } = this.config;
    const s = this.space;
    // attention maps need B·NH·T·T ≤ BT·NH·contextLength
    const attSize = BT * NH * contextLength;
    const layerActs: LayerActs[] = [];
    for (let l = 0; l < layers; l++) {
      layerActs.push({
        ln1: s.alloc(BT * C), ln1Mean: s.alloc(BT), ln1Rstd: s.alloc(BT), qkv: s.alloc(BT * 3 * C), atty: s.alloc(BT * C),
        att: s.alloc(attSize), residual2: s.alloc(BT * C), ln2: s.alloc(BT * C), ln2Mean: s.alloc(BT), ln2Rstd: s.alloc(BT),
        fch: s.alloc(BT * H), fchTanh: s.alloc(BT * H), fchGelu: s.alloc(BT * H), residual3: s.alloc(BT * C),
      });
    }
    this.acts = {
      capacity: BT,
      encoded: s.alloc(BT * C),
      layers: layerActs,
      lnf: s.alloc(BT * C),
      lnfMean: s.alloc(BT),
      lnfRstd: s.alloc(BT),
      logits: s.alloc(BT * V),
      dresidual: s.alloc(BT * C),
      dbtc: s.alloc(BT * C),
      dqkv: s.alloc(BT * 3 * C),
      dh1: s.alloc(BT * H),
      dh2: s.alloc(BT * H),
      datt: s.alloc(attSize),
      dlogits: s.alloc(BT * V),
    };
    this.tokens = new Int32Array(BT);
    this.lse = new Float64Array(BT);
    return this.acts;
  }

  /** The logits (B × T × V) of the last forward (a view: valid until the model allocates more). */
  get logits(): FloatArray {
    const V = this.config.vocabSize;
    const at = this.acts?.logits ?? 0;
    return this.space.array.subarray(at, at + this.B * this.T * V);
  }

  /** Runs B sequences of T tokens (row-major); returns the logits (B × T × V) and keeps what backward needs. */
  forward(tokens: ArrayLike<number>, B: number, T: number): FloatArray {
    const { vocabSize: V, contextLength, dModel: C, heads: NH, mlpHidden: H } = this.config;
    if (T > contextLength) throw new RangeError(`sequence of ${T} tokens is longer than the model's context ${contextLength}`);
    if (tokens.length < B * T) throw new RangeError(`forward: ${tokens.length} tokens given for B ${B} × T ${T}`);
    const BT = B * T;
    const a = this.activations(BT);
    this.B = B;
    this.T = T;
    for (let i = 0; i < BT; i++) {
      const tok = tokens[i]!;
      if (!(Number.isInteger(tok) && tok >= 0 && tok < V)) throw new RangeError(`token ${tok} at position ${i} is outside the vocabulary 0..${V - 1}`);
      this.tokens[i] = tok;
    }
    const M = this.space.array;
    const ops = this.space.ops;
    const { wte, wpe, blocks } = this.w;
    for (let b = 0; b < B; b++)
      for (let t = 0; t < T; t++) {
        const o = a.encoded + (b * T + t) * C;
        const te = wte + this.tokens[b * T + t]! * C;
        const pe = wpe + t * C;
        for (let i = 0; i < C; i++) M[o + i] = M[te + i]! + M[pe + i]!;
      }
    let residual = a.encoded;
    for (let l = 0; l < blocks.length; l++) {
      const p = blocks[l]!;
      const x = a.layers[l]!;
      ops.layerNormForward(BT, C, residual, p.ln1w, p.ln1b, x.ln1, x.ln1Mean, x.ln1Rstd);
      ops.linearForward(BT, C, 3 * C, x.ln1, p.qkvw, p.qkvb, x.qkv);
      ops.attentionForward(B, T, C, NH, x.qkv, x.att, x.atty);
      ops.linearForward(BT, C, C, x.atty, p.projw, p.projb, x.residual2);
      addInPlace(M, x.residual2, residual, BT * C);
      ops.layerNormForward(BT, C, x.residual2, p.ln2w, p.ln2b, x.ln2, x.ln2Mean, x.ln2Rstd);
      ops.linearForward(BT, C, H, x.ln2, p.fcw, p.fcb, x.fch);
      ops.geluForward(BT * H, x.fch, x.fchGelu, x.fchTanh);
      ops.linearForward(BT, H, C, x.fchGelu, p.fcprojw, p.fcprojb, x.residual3);
      addInPlace(M, x.residual3, x.residual2, BT * C);
      residual = x.residual3;
    }
    ops.layerNormForward(BT, C, residual, this.w.lnfw, this.w.lnfb, a.lnf, a.lnfMean, a.lnfRstd);
    // tied LM head: logits = lnf · wteᵀ
    ops.matmulNT(BT, C, V, a.lnf, wte, a.logits, false);
    for (let i = 0; i < BT; i++) this.lse[i] = logSumExp(M, a.logits + i * V, V);
    return this.logits;
  }

  /** log p(targets[i]) at each of the last forward's B·T positions, into `out` (targets outside the vocabulary give 0). */
  tokenLogProbs(targets: ArrayLike<number>, out: Float64Array): Float64Array {
    const V = this.config.vocabSize;
    const M = this.space.array;
    const logits = this.acts!.logits;
    for (let i = 0; i < this.B * this.T; i++) {
      const y = targets[i]!;
      out[i] = y >= 0 && y < V ? M[logits + i * V + y]! - this.lse[i]! : 0;
    }
    return out;
  }

  /** Entropy (nats) of the next-token distribution at position i of the last forward. */
  entropyAt(i: number): number {
    const V = this.config.vocabSize;
    const M = this.space.array;
    const at = this.acts!.logits + i * V;
    const lse = this.lse[i]!;
    let h = 0;
    for (let v = 0; v < V; v++) {
      const logp = M[at + v]! - lse;
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
    const a = this.acts!;
    const M = this.space.array;
    const ops = this.space.ops;
    const { wte, blocks } = this.w;
    const g = this.g;
    // d log softmax(z)_y / dz_v = [v = y] − p_v
    for (let i = 0; i < BT; i++) {
      const gi = gradLogProb[i]!;
      const o = a.dlogits + i * V;
      if (gi === 0) {
        M.fill(0, o, o + V);
        continue;
      }
      const lse = this.lse[i]!;
      const z = a.logits + i * V;
      for (let v = 0; v < V; v++) M[o + v] = -gi * Math.exp(M[z + v]! - lse);
      M[o + targets[i]!] = M[o + targets[i]!]! + gi;
    }
    // LM head: dlnf = dlogits · wte; dwte += dlogitsᵀ · lnf
    ops.linearForward(BT, V, C, a.dlogits, wte, -1, a.dbtc);
    ops.matmulTN(V, BT, C, a.dlogits, a.lnf, g.wte, true);
    const lastResidual = blocks.length > 0 ? a.layers[blocks.length - 1]!.residual3 : a.encoded;
    const dres = a.dresidual;
    M.fill(0, dres, dres + BT * C);
    ops.layerNormBackward(BT, C, dres, g.lnfw, g.lnfb, a.dbtc, lastResidual, this.w.lnfw, a.lnfMean, a.lnfRstd);
    for (let l = blocks.length - 1; l >= 0; l--) {
      const p = blocks[l]!;
      const gp = g.blocks[l]!;
      const x = a.layers[l]!;
      const residual = l === 0 ? a.encoded : a.layers[l - 1]!.residual3;
      // residual3 = residual2 + mlp(ln2(residual2)); dres holds ∂/∂residual3 and becomes ∂/∂residual2
      this.linearBackward(a.dh1, gp.fcprojw, gp.fcprojb, dres, x.fchGelu, p.fcprojw, BT, H, C);
      ops.geluBackward(BT * H, x.fch, x.fchTanh, a.dh1, a.dh2);
      this.linearBackward(a.dbtc, gp.fcw, gp.fcb, a.dh2, x.ln2, p.fcw, BT, C, H);
      ops.layerNormBackward(BT, C, dres, gp.ln2w, gp.ln2b, a.dbtc, x.residual2, p.ln2w, x.ln2Mean, x.ln2Rstd);
      // residual2 = residual + proj(attention(ln1(residual))); dres becomes ∂/∂residual
      this.linearBackward(a.dbtc, gp.projw, gp.projb, dres, x.atty, p.projw, BT, C, C);
      ops.attentionBackward(B, T, C, NH, a.dqkv, a.datt, a.dbtc, x.qkv, x.att);
      this.linearBackward(a.dbtc, gp.qkvw, gp.qkvb, a.dqkv, x.ln1, p.qkvw, BT, C, 3 * C);
      ops.layerNormBackward(BT, C, dres, gp.ln1w, gp.ln1b, a.dbtc, residual, p.ln1w, x.ln1Mean, x.ln1Rstd);
    }
    for (let b = 0; b < B; b++)
      for (let t = 0; t < T; t++) {
        const o = dres + (b * T + t) * C;
        const te = g.wte + this.tokens[b * T + t]! * C;
        const pe = g.wpe + t * C;
        for (let i = 0; i < C; i++) {
          const d = M[o + i]!;
          M[te + i] = M[te + i]! + d;
          M[pe + i] = M[pe + i]! + d;
        }
      }
  }

  /** y = x·W + b (W: C × OC): dx = dy·Wᵀ (overwritten), dW += xᵀ·dy, db += Σ dy. */
  private linearBackward(dx: number, dW: number, db: number, dy: number, x: number, W: number, N: number, C: number, OC: number): void {
    const ops = this.space.ops;
    ops.matmulNT(N, OC, C, dy, W, dx, false);
    ops.matmulTN(C, N, OC, x, dy, dW, true);
    ops.columnSums(N, OC, dy, db, true);
  }

  /** The model's KV cache for up to `batch` sequences, emptied (one cache per model, grown on demand). */
  cacheFor(batch: number): KVCache {
    if (!this.cache || this.cache.batch < batch) {
      const { layers, contextLength, dModel: C, mlpHidden: H, vocabSize: V } = this.config;
      const s = this.space;
      this.cache = {
        batch,
        length: 0,
        keys: Array.from({ length: layers }, () => s.alloc(batch * contextLength * C)),
        values: Array.from({ length: layers }, () => s.alloc(batch * contextLength * C)),
        x: s.alloc(batch * C),
        ln: s.alloc(batch * C),
        qkv: s.alloc(batch * 3 * C),
        y: s.alloc(batch * C),
        tmp: s.alloc(batch * C),
        h: s.alloc(batch * H),
        stats: s.alloc(2 * batch),
        scores: s.alloc(contextLength),
        logits: s.alloc(batch * V),
      };
    }
    this.cache.length = 0;
    return this.cache;
  }

  /**
   * Feeds one token per sequence at position `cache.length` (the same position for every row),
   * appends their keys and values to the cache and returns the next-token logits (rows × V, a view).
   */
  step(cache: KVCache, tokens: ArrayLike<number>, rows = cache.batch): FloatArray {
    const { vocabSize: V, contextLength, dModel: C, heads: NH, mlpHidden: H } = this.config;
    const pos = cache.length;
    if (pos >= contextLength) throw new RangeError(`the sequence reached the model's context ${contextLength}`);
    if (rows > cache.batch) throw new RangeError(`step: ${rows} rows for a cache of ${cache.batch}`);
    const M = this.space.array;
    const ops = this.space.ops;
    const { wte, wpe, blocks } = this.w;
    const { x, ln, qkv, y, tmp, h } = cache;
    const mean = cache.stats;
    const rstd = cache.stats + cache.batch;
    for (let r = 0; r < rows; r++) {
      const tok = tokens[r]!;
      if (!(Number.isInteger(tok) && tok >= 0 && tok < V)) throw new RangeError(`token ${tok} of row ${r} is outside the vocabulary 0..${V - 1}`);
      for (let i = 0; i < C; i++) M[x + r * C + i] = M[wte + tok * C + i]! + M[wpe + pos * C + i]!;
    }
    for (let l = 0; l < blocks.length; l++) {
      const p = blocks[l]!;
      const K = cache.keys[l]!;
      const Vc = cache.values[l]!;
      ops.layerNormForward(rows, C, x, p.ln1w, p.ln1b, ln, mean, rstd);
      ops.linearForward(rows, C, 3 * C, ln, p.qkvw, p.qkvb, qkv);
      ops.attentionDecode(rows, contextLength, pos, C, NH, qkv, K, Vc, y, cache.scores);
      ops.linearForward(rows, C, C, y, p.projw, p.projb, tmp);
      addInPlace(M, x, tmp, rows * C);
      ops.layerNormForward(rows, C, x, p.ln2w, p.ln2b, ln, mean, rstd);
      ops.linearForward(rows, C, H, ln, p.fcw, p.fcb, h);
      ops.geluForward(rows * H, h, h, -1);
      ops.linearForward(rows, H, C, h, p.fcprojw, p.fcprojb, tmp);
      addInPlace(M, x, tmp, rows * C);
    }
    ops.layerNormForward(rows, C, x, this.w.lnfw, this.w.lnfb, ln, mean, rstd);
    ops.matmulNT(rows, C, V, ln, wte, cache.logits, false);
    cache.length = pos + 1;
    return M.subarray(cache.logits, cache.logits + rows * V);
  }
}

function logSumExp(M: FloatArray, offset: number, n: number): number {
  let max = -Infinity;
  for (let i = 0; i < n; i++) if (M[offset + i]! > max) max = M[offset + i]!;
  let sum = 0;
  for (let i = 0; i < n; i++) sum += Math.exp(M[offset + i]! - max);
  return max + Math.log(sum);
}

function addInPlace(M: FloatArray, out: number, x: number, n: number): void {
  for (let i = 0; i < n; i++) M[out + i] = M[out + i]! + M[x + i]!;
}

