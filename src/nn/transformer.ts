/**
 * A decoder-only transformer of GPT-2's shape (nanoGPT without dropout): token + learned position
 * embeddings, pre-LayerNorm blocks of causal multi-head attention and a GELU MLP with residuals, a
 * final LayerNorm and an LM head tied to the token embedding. Forward and backward are written out
 * by hand, in the order of llm.c's `train_gpt2.c`, so every step can be read and checked
 * (test/transformer.test.ts compares the gradient with finite differences).
 *
 * Every number — parameters, gradients, activations, KV caches — lives in one `Space` (see
 * transformer-space.ts) addressed by element offsets: the matrix products run in the WASM SIMD
 * kernels or in plain loops (float32, or float64 for gradient checks); LayerNorm, attention and
 * GELU are plain loops here. Linear weights are stored input-major (C_in × C_out, the transpose of
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
  /** where the numbers live and which kernels multiply them (default: wasm when available) */
  space?: SpaceKind;
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
  readonly logits: number;
}

const LN_EPS = 1e-5;
const GELU_SCALE = Math.sqrt(2 / Math.PI);

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
  private scores: Float64Array;
  private viewsOf: FloatArray | null = null;
  private paramsView!: FloatArray;
  private gradsView!: FloatArray;

  constructor(config: TransformerConfig, options: TransformerOptions = {}) {
    checkTransformerConfig(config);
    this.config = { ...config };
    this.space = createSpace(options.space);
    this.layout = parameterLayout(config);
    const last = this.layout[this.layout.length - 1]!;
    this.numParameters = last.offset + last.length;
    this.paramsAt = this.space.alloc(this.numParameters);
    this.gradsAt = this.space.alloc(this.numParameters);
    this.w = offsetsOf(this.paramsAt, this.layout, config.layers);
    this.g = offsetsOf(this.gradsAt, this.layout, config.layers);
    this.scores = new Float64Array(config.contextLength);
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
      layerNormForward(M, x.ln1, x.ln1Mean, x.ln1Rstd, residual, p.ln1w, p.ln1b, BT, C);
      ops.linearForward(BT, C, 3 * C, x.ln1, p.qkvw, p.qkvb, x.qkv);
      attentionForward(M, x.atty, x.att, x.qkv, B, T, C, NH);
      ops.linearForward(BT, C, C, x.atty, p.projw, p.projb, x.residual2);
      addInPlace(M, x.residual2, residual, BT * C);
      layerNormForward(M, x.ln2, x.ln2Mean, x.ln2Rstd, x.residual2, p.ln2w, p.ln2b, BT, C);
      ops.linearForward(BT, C, H, x.ln2, p.fcw, p.fcb, x.fch);
      geluForward(M, x.fchGelu, x.fchTanh, x.fch, BT * H);
      ops.linearForward(BT, H, C, x.fchGelu, p.fcprojw, p.fcprojb, x.residual3);
      addInPlace(M, x.residual3, x.residual2, BT * C);
      residual = x.residual3;
    }
    layerNormForward(M, a.lnf, a.lnfMean, a.lnfRstd, residual, this.w.lnfw, this.w.lnfb, BT, C);
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
    layerNormBackward(M, dres, g.lnfw, g.lnfb, a.dbtc, lastResidual, this.w.lnfw, a.lnfMean, a.lnfRstd, BT, C);
    for (let l = blocks.length - 1; l >= 0; l--) {
      const p = blocks[l]!;
      const gp = g.blocks[l]!;
      const x = a.layers[l]!;
      const residual = l === 0 ? a.encoded : a.layers[l - 1]!.residual3;
      // residual3 = residual2 + mlp(ln2(residual2)); dres holds ∂/∂residual3 and becomes ∂/∂residual2
      this.linearBackward(a.dh1, gp.fcprojw, gp.fcprojb, dres, x.fchGelu, p.fcprojw, BT, H, C);
      geluBackward(M, a.dh2, x.fch, x.fchTanh, a.dh1, BT * H);
      this.linearBackward(a.dbtc, gp.fcw, gp.fcb, a.dh2, x.ln2, p.fcw, BT, C, H);
      layerNormBackward(M, dres, gp.ln2w, gp.ln2b, a.dbtc, x.residual2, p.ln2w, x.ln2Mean, x.ln2Rstd, BT, C);
      // residual2 = residual + proj(attention(ln1(residual))); dres becomes ∂/∂residual
      this.linearBackward(a.dbtc, gp.projw, gp.projb, dres, x.atty, p.projw, BT, C, C);
      attentionBackward(M, a.dqkv, a.datt, a.dbtc, x.qkv, x.att, B, T, C, NH);
      this.linearBackward(a.dbtc, gp.qkvw, gp.qkvb, a.dqkv, x.ln1, p.qkvw, BT, C, 3 * C);
      layerNormBackward(M, dres, gp.ln1w, gp.ln1b, a.dbtc, residual, p.ln1w, x.ln1Mean, x.ln1Rstd, BT, C);
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
    const hs = C / NH;
    const scale = 1 / Math.sqrt(hs);
    const scores = this.scores;
    for (let l = 0; l < blocks.length; l++) {
      const p = blocks[l]!;
      const K = cache.keys[l]!;
      const Vc = cache.values[l]!;
      layerNormForward(M, ln, mean, rstd, x, p.ln1w, p.ln1b, rows, C);
      ops.linearForward(rows, C, 3 * C, ln, p.qkvw, p.qkvb, qkv);
      for (let r = 0; r < rows; r++) {
        const base = (r * contextLength + pos) * C;
        const q0 = qkv + r * 3 * C;
        for (let i = 0; i < C; i++) {
          M[K + base + i] = M[q0 + C + i]!;
          M[Vc + base + i] = M[q0 + 2 * C + i]!;
        }
        for (let head = 0; head < NH; head++) {
          const q = q0 + head * hs;
          let max = -Infinity;
          for (let t2 = 0; t2 <= pos; t2++) {
            const k = K + (r * contextLength + t2) * C + head * hs;
            let s = 0;
            for (let i = 0; i < hs; i++) s += M[q + i]! * M[k + i]!;
            s *= scale;
            scores[t2] = s;
            if (s > max) max = s;
          }
          let sum = 0;
          for (let t2 = 0; t2 <= pos; t2++) {
            const e = Math.exp(scores[t2]! - max);
            scores[t2] = e;
            sum += e;
          }
          const yo = y + r * C + head * hs;
          for (let i = 0; i < hs; i++) M[yo + i] = 0;
          for (let t2 = 0; t2 <= pos; t2++) {
            const wgt = scores[t2]! / sum;
            const v = Vc + (r * contextLength + t2) * C + head * hs;
            for (let i = 0; i < hs; i++) M[yo + i] = M[yo + i]! + wgt * M[v + i]!;
          }
        }
      }
      ops.linearForward(rows, C, C, y, p.projw, p.projb, tmp);
      addInPlace(M, x, tmp, rows * C);
      layerNormForward(M, ln, mean, rstd, x, p.ln2w, p.ln2b, rows, C);
      ops.linearForward(rows, C, H, ln, p.fcw, p.fcb, h);
      geluForward(M, h, -1, h, rows * H);
      ops.linearForward(rows, H, C, h, p.fcprojw, p.fcprojb, tmp);
      addInPlace(M, x, tmp, rows * C);
    }
    layerNormForward(M, ln, mean, rstd, x, this.w.lnfw, this.w.lnfb, rows, C);
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

function layerNormForward(M: FloatArray, out: number, mean: number, rstd: number, inp: number, weight: number, bias: number, N: number, C: number): void {
  for (let n = 0; n < N; n++) {
    const o = inp + n * C;
    let m = 0;
    for (let i = 0; i < C; i++) m += M[o + i]!;
    m /= C;
    let v = 0;
    for (let i = 0; i < C; i++) {
      const d = M[o + i]! - m;
      v += d * d;
    }
    v /= C;
    const s = 1 / Math.sqrt(v + LN_EPS);
    const y = out + n * C;
    for (let i = 0; i < C; i++) M[y + i] = (M[o + i]! - m) * s * M[weight + i]! + M[bias + i]!;
    M[mean + n] = m;
    M[rstd + n] = s;
  }
}

/** Adds ∂/∂inp into dinp (the residual stream's gradient) and the gain/bias gradients into dweight/dbias. */
function layerNormBackward(M: FloatArray, dinp: number, dweight: number, dbias: number, dout: number, inp: number, weight: number, mean: number, rstd: number, N: number, C: number): void {
  for (let n = 0; n < N; n++) {
    const o = n * C;
    const m = M[mean + n]!;
    const s = M[rstd + n]!;
    let dnormMean = 0;
    let dnormNormMean = 0;
    for (let i = 0; i < C; i++) {
      const norm = (M[inp + o + i]! - m) * s;
      const dnorm = M[weight + i]! * M[dout + o + i]!;
      dnormMean += dnorm;
      dnormNormMean += dnorm * norm;
    }
    dnormMean /= C;
    dnormNormMean /= C;
    for (let i = 0; i < C; i++) {
      const d = M[dout + o + i]!;
      const norm = (M[inp + o + i]! - m) * s;
      const dnorm = M[weight + i]! * d;
      M[dbias + i] = M[dbias + i]! + d;
      M[dweight + i] = M[dweight + i]! + norm * d;
      M[dinp + o + i] = M[dinp + o + i]! + (dnorm - dnormMean - norm * dnormNormMean) * s;
    }
  }
}

/** Causal self-attention over qkv (B, T, 3C: q | k | v, head h at columns h·hs…); att keeps the softmax (B, NH, T, T). */
function attentionForward(M: FloatArray, out: number, att: number, qkv: number, B: number, T: number, C: number, NH: number): void {
  const hs = C / NH;
  const scale = 1 / Math.sqrt(hs);
  const C3 = 3 * C;
  for (let b = 0; b < B; b++)
    for (let t = 0; t < T; t++)
      for (let h = 0; h < NH; h++) {
        const q = qkv + (b * T + t) * C3 + h * hs;
        const a = att + ((b * NH + h) * T + t) * T;
        let max = -Infinity;
        for (let t2 = 0; t2 <= t; t2++) {
          const k = qkv + (b * T + t2) * C3 + C + h * hs;
          let s = 0;
          for (let i = 0; i < hs; i++) s += M[q + i]! * M[k + i]!;
          s *= scale;
          M[a + t2] = s;
          if (s > max) max = s;
        }
        let sum = 0;
        for (let t2 = 0; t2 <= t; t2++) {
          const e = Math.exp(M[a + t2]! - max);
          M[a + t2] = e;
          sum += e;
        }
        const inv = 1 / sum;
        for (let t2 = 0; t2 <= t; t2++) M[a + t2] = M[a + t2]! * inv;
        for (let t2 = t + 1; t2 < T; t2++) M[a + t2] = 0;
        const o = out + (b * T + t) * C + h * hs;
        for (let i = 0; i < hs; i++) M[o + i] = 0;
        for (let t2 = 0; t2 <= t; t2++) {
          const v = qkv + (b * T + t2) * C3 + 2 * C + h * hs;
          const w = M[a + t2]!;
          for (let i = 0; i < hs; i++) M[o + i] = M[o + i]! + w * M[v + i]!;
        }
      }
}

/** dqkv (overwritten) from dout; datt is scratch of the size of att. */
function attentionBackward(M: FloatArray, dqkv: number, datt: number, dout: number, qkv: number, att: number, B: number, T: number, C: number, NH: number): void {
  const hs = C / NH;
  const scale = 1 / Math.sqrt(hs);
  const C3 = 3 * C;
  M.fill(0, dqkv, dqkv + B * T * C3);
  for (let b = 0; b < B; b++)
    for (let t = 0; t < T; t++)
      for (let h = 0; h < NH; h++) {
        const a = ((b * NH + h) * T + t) * T;
        const o = dout + (b * T + t) * C + h * hs;
        const q = (b * T + t) * C3 + h * hs;
        // through the weighted sum of values
        for (let t2 = 0; t2 <= t; t2++) {
          const v = (b * T + t2) * C3 + 2 * C + h * hs;
          const w = M[att + a + t2]!;
          let d = 0;
          for (let i = 0; i < hs; i++) {
            d += M[qkv + v + i]! * M[o + i]!;
            M[dqkv + v + i] = M[dqkv + v + i]! + w * M[o + i]!;
          }
          M[datt + a + t2] = d;
        }
        // through the softmax: dpre = att ⊙ (datt − Σ att·datt)
        let dot = 0;
        for (let t2 = 0; t2 <= t; t2++) dot += M[att + a + t2]! * M[datt + a + t2]!;
        for (let t2 = 0; t2 <= t; t2++) {
          const dpre = M[att + a + t2]! * (M[datt + a + t2]! - dot) * scale;
          const k = (b * T + t2) * C3 + C + h * hs;
          for (let i = 0; i < hs; i++) {
            M[dqkv + q + i] = M[dqkv + q + i]! + M[qkv + k + i]! * dpre;
            M[dqkv + k + i] = M[dqkv + k + i]! + M[qkv + q + i]! * dpre;
          }
        }
      }
}

/** GPT-2's tanh approximation: 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³))); the tanh is kept for backward (tanhOut ≥ 0) */
function geluForward(M: FloatArray, out: number, tanhOut: number, inp: number, n: number): void {
  for (let i = 0; i < n; i++) {
    const x = M[inp + i]!;
    const th = Math.tanh(GELU_SCALE * (x + 0.044715 * x * x * x));
    if (tanhOut >= 0) M[tanhOut + i] = th;
    M[out + i] = 0.5 * x * (1 + th);
  }
}

/** d gelu/dx = 0.5·(1 + tanh) + 0.5·x·(1 − tanh²)·√(2/π)·(1 + 3·0.044715·x²) */
function geluBackward(M: FloatArray, dinp: number, inp: number, tanhOf: number, dout: number, n: number): void {
  for (let i = 0; i < n; i++) {
    const x = M[inp + i]!;
    const th = M[tanhOf + i]!;
    const grad = 0.5 * (1 + th) + x * 0.5 * (1 - th * th) * GELU_SCALE * (1 + 3 * 0.044715 * x * x);
    M[dinp + i] = grad * M[dout + i]!;
  }
}
