/**
 * The sampler's fused decoding path on a WASM space: one `decodeStep` call (wasm/kernels.ts) runs
 * every layer of one position for a list of rows, instead of ~10 kernel calls per layer plus the
 * residual adds and the embedding in JS. It runs the same kernels in the same order per row as
 * `Transformer.step`, so its logits are bit-identical to the plain path's (test/transformer-decode.test.ts).
 * Rows are addressed through a list: the sampler computes one row per distinct prefix and copies
 * its keys and values to the rows that share it. Browser-safe.
 */
import type { KVCache, Transformer } from "./transformer.js";

interface DecodeExports {
  decodeStep(plan: number, from: number, to: number, pos: number, full: number): void;
}

/** Rows per tile: the tile's activations (about 44 KB at d 64, MLP 256) stay in the L1 cache. */
const TILE = 16;
const PLAN_HEAD = 23;
const PLAN_PER_LAYER = 14;

export class FusedDecoder {
  readonly capacity: number;
  private readonly model: Transformer;
  private readonly step: DecodeExports["decodeStep"];
  private readonly planAt: number;
  private readonly tokensAt: number;
  private readonly rowsAt: number;
  private cache: KVCache | null = null;
  private viewsOf: ArrayBufferLike | null = null;
  private tokenView!: Int32Array;
  private rowView!: Int32Array;

  private constructor(model: Transformer, capacity: number, step: DecodeExports["decodeStep"]) {
    this.model = model;
    this.capacity = capacity;
    this.step = step;
    const { layers, dModel: C, mlpHidden: H, contextLength: ctx } = model.config;
    const s = model.space;
    this.planAt = s.alloc(PLAN_HEAD + PLAN_PER_LAYER * layers);
    this.tokensAt = s.alloc(capacity);
    this.rowsAt = s.alloc(capacity);
    // scratch per compact row: a tile works in its rows' part, so threads can run disjoint tiles
    const scratch = [C, C, 3 * C, C, H, C, 1, ctx + 4, 1].map((n) => s.alloc(capacity * n));
    // the weights' offsets: `params` is a view of the space's array at the parameter block
    const base = model.params.byteOffset / Float32Array.BYTES_PER_ELEMENT;
    const at = new Map(model.layout.map((e) => [e.name, base + e.offset]));
    const { vocabSize: V, heads: NH } = model.config;
    const plan = this.planView();
    plan.set([C, NH, H, V, ctx, layers, TILE, at.get("wte")!, at.get("wpe")!, at.get("lnf.weight")!, at.get("lnf.bias")!, this.tokensAt, this.rowsAt, 0, ...scratch]);
    const names = ["ln1.weight", "ln1.bias", "attn.qkv.weight", "attn.qkv.bias", "attn.proj.weight", "attn.proj.bias", "ln2.weight", "ln2.bias", "mlp.fc.weight", "mlp.fc.bias", "mlp.proj.weight", "mlp.proj.bias"];
    for (let l = 0; l < layers; l++) plan.set(names.map((n) => at.get(`h${l}.${n}`)!), PLAN_HEAD + l * PLAN_PER_LAYER);
  }

  /**
   * The fused decoder for `model` and up to `rows` rows, or null when the model's space has no
   * `decodeStep` (the plain-loop spaces) or its shapes are not multiples of 4 (d, MLP width, head size).
   */
  static for(model: Transformer, rows: number): FusedDecoder | null {
    const step = (model.space.ops as Partial<DecodeExports>).decodeStep;
    const { dModel: C, heads: NH, mlpHidden: H } = model.config;
    if (model.space.kind !== "wasm" || typeof step !== "function" || C % 4 !== 0 || H % 4 !== 0 || (C / NH) % 4 !== 0) return null;
    const known = decoders.get(model);
    if (known && known.capacity >= rows) return known;
    const made = new FusedDecoder(model, rows, step);
    decoders.set(model, made);
    return made;
  }

  private planView(): Int32Array {
    const { layers } = this.model.config;
    return new Int32Array(this.model.space.array.buffer, this.planAt * 4, PLAN_HEAD + PLAN_PER_LAYER * layers);
  }

  /** The model's KV cache for `rows` rows, emptied, with the plan pointing at it. */
  begin(rows: number): KVCache {
    const kv = this.model.cacheFor(rows);
    if (kv !== this.cache) {
      const plan = this.planView();
      plan[13] = kv.logits;
      for (let l = 0; l < this.model.config.layers; l++) {
        plan[PLAN_HEAD + l * PLAN_PER_LAYER + 12] = kv.keys[l]!;
        plan[PLAN_HEAD + l * PLAN_PER_LAYER + 13] = kv.values[l]!;
      }
      this.cache = kv;
    }
    return kv;
  }

  /** Where to write each compact row's token and cache row (views, valid until the space grows). */
  get tokens(): Int32Array {
    this.refresh();
    return this.tokenView;
  }

  get rows(): Int32Array {
    this.refresh();
    return this.rowView;
  }

  private refresh(): void {
    const buffer = this.model.space.array.buffer;
    if (buffer === this.viewsOf) return;
    this.tokenView = new Int32Array(buffer, this.tokensAt * 4, this.capacity);
    this.rowView = new Int32Array(buffer, this.rowsAt * 4, this.capacity);
    this.viewsOf = buffer;
  }

  /**
   * Runs position `pos` for compact rows from … to−1 (tokens and cache rows written before);
   * with `full`, their logits land at the cache's logits + i·V, else only keys and values are made.
   */
  run(from: number, to: number, pos: number, full: boolean): void {
    if (to <= from) return;
    // a space on shared memory splits the rows across its helper threads (bytes unchanged)
    const parallel = this.model.space.parallel;
    if (parallel) parallel.decodeStep(this.planAt, from, to, pos, full ? 1 : 0);
    else this.step(this.planAt, from, to, pos, full ? 1 : 0);
  }
}

const decoders = new WeakMap<Transformer, FusedDecoder>();
