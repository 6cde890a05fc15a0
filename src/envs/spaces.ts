/**
 * Gymnasium's spaces — Discrete, Box (any shape and dtype), MultiDiscrete, MultiBinary, Tuple and
 * Dict — with `sample()` drawn exactly as Gymnasium draws it (same PCG64 stream, same numpy
 * calls, same seeding of sub-spaces), `contains()` and `seed()`. Flattening lives in
 * `space-utils.ts`.
 */
import { PCG64Bank } from "../rng/pcg64.js";
import { type Seed, assertValidSeed } from "../rng/seed-sequence.js";

export type DType = "float32" | "float64" | "uint8" | "int8" | "int16" | "uint16" | "int32" | "uint32" | "bool";
export const DTYPES: readonly DType[] = ["float32", "float64", "uint8", "int8", "int16", "uint16", "int32", "uint32", "bool"];

export type BoxValue = Float32Array | Float64Array | Uint8Array | Int8Array | Int16Array | Uint16Array | Int32Array | Uint32Array;
/** The bounds of a Box: float32/float64 as the Box's dtype, integer and bool dtypes as float64. */
export type BoxBounds = Float32Array | Float64Array;

const INT_RANGES: Record<string, [number, number]> = {
  uint8: [0, 255],
  int8: [-128, 127],
  int16: [-32768, 32767],
  uint16: [0, 65535],
  int32: [-2147483648, 2147483647],
  uint32: [0, 4294967295],
  bool: [0, 1],
};
/** numpy's np.iinfo(np.int32).max: the bound Tuple and Dict draw their sub-space seeds below. */
const INT32_MAX = 2147483647;

export function allocDType(dtype: DType, size: number): BoxValue {
  switch (dtype) {
    case "float32":
      return new Float32Array(size);
    case "float64":
      return new Float64Array(size);
    case "uint8":
    case "bool":
      return new Uint8Array(size);
    case "int8":
      return new Int8Array(size);
    case "int16":
      return new Int16Array(size);
    case "uint16":
      return new Uint16Array(size);
    case "int32":
      return new Int32Array(size);
    case "uint32":
      return new Uint32Array(size);
  }
}

export function isFloatDType(dtype: DType): boolean {
  return dtype === "float32" || dtype === "float64";
}

export abstract class Space<T = unknown> {
  private rng: PCG64Bank | undefined;

  /** The shape of one value (empty for scalar spaces such as Discrete). */
  abstract readonly shape: readonly number[];

  /**
   * Seeds the space's generator (`space.seed(seed)`); without a seed it draws OS entropy.
   * Composite spaces seed their sub-spaces from it and return every seed used, as Gymnasium does.
   */
  seed(seed?: Seed): unknown {
    if (seed !== undefined) assertValidSeed(seed, `${this}.seed`);
    this.rng = new PCG64Bank(1);
    this.rng.seed(0, seed);
    return seed;
  }

  /** The generator (`np_random`), created unseeded on first use as in Gymnasium. */
  protected get npRandom(): PCG64Bank {
    if (!this.rng) this.seed();
    return this.rng!;
  }

  abstract sample(): T;
  abstract contains(x: unknown): boolean;
  abstract toString(): string;
  abstract toJSON(): object;
}

export class Discrete extends Space<number> {
  readonly shape: readonly number[] = [];

  constructor(
    readonly n: number,
    readonly start = 0,
  ) {
    super();
    if (!Number.isSafeInteger(n) || n < 1) throw new RangeError(`Discrete(n): n must be a positive integer, got ${n}`);
    if (!Number.isSafeInteger(start)) throw new RangeError(`Discrete start must be an integer, got ${start}`);
  }

  /** `start + np_random.integers(n)` */
  sample(): number {
    return this.start + this.npRandom.integers(0, this.n);
  }

  contains(x: unknown): boolean {
    return typeof x === "number" && Number.isInteger(x) && x >= this.start && x < this.start + this.n;
  }

  toString(): string {
    return this.start === 0 ? `Discrete(${this.n})` : `Discrete(${this.n}, start=${this.start})`;
  }

  toJSON(): object {
    return { type: "Discrete", n: this.n, start: this.start };
  }
}

export class Box extends Space<BoxValue> {
  readonly low: BoxBounds;
  readonly high: BoxBounds;
  readonly shape: readonly number[];
  readonly size: number;

  constructor(
    low: number | ArrayLike<number>,
    high: number | ArrayLike<number>,
    shape?: readonly number[],
    readonly dtype: DType = "float32",
  ) {
    super();
    if (!DTYPES.includes(dtype)) throw new RangeError(`Box dtype must be one of ${DTYPES.join(", ")}, got ${JSON.stringify(dtype)}`);
    if (shape !== undefined && (!Array.isArray(shape) || shape.some((d) => !Number.isSafeInteger(d) || d < 0))) {
      throw new RangeError(`Box shape must be an array of non-negative integers, got ${JSON.stringify(shape)}`);
    }
    const size =
      shape?.reduce((a, b) => a * b, 1) ??
      (typeof low !== "number" ? low.length : typeof high !== "number" ? high.length : 1);
    for (const [name, bound] of [["low", low], ["high", high]] as const) {
      if (typeof bound !== "number" && bound.length !== size) {
        throw new RangeError(`Box ${name} has ${bound.length} values but the shape [${shape?.join(", ")}] holds ${size}`);
      }
    }
    this.shape = shape ? [...shape] : [size];
    this.size = size;
    this.low = dtype === "float32" ? new Float32Array(size) : new Float64Array(size);
    this.high = dtype === "float32" ? new Float32Array(size) : new Float64Array(size);
    const intRange = INT_RANGES[dtype];
    for (let k = 0; k < size; k++) {
      let lo = typeof low === "number" ? low : low[k]!;
      let hi = typeof high === "number" ? high : high[k]!;
      if (intRange) {
        // Gymnasium clips infinite integer bounds to the dtype's range.
        if (lo === -Infinity) lo = intRange[0];
        if (hi === Infinity) hi = intRange[1];
        if (!Number.isInteger(lo) || !Number.isInteger(hi) || lo < intRange[0] || hi > intRange[1]) {
          throw new RangeError(`Box(${dtype}) bounds must be integers in [${intRange[0]}, ${intRange[1]}], got low=${lo}, high=${hi} at index ${k}`);
        }
      }
      this.low[k] = lo;
      this.high[k] = hi;
      if (Number.isNaN(this.low[k]) || Number.isNaN(this.high[k]) || this.low[k]! > this.high[k]!) {
        throw new RangeError(`Box bounds invalid at index ${k}: low=${this.low[k]}, high=${this.high[k]}`);
      }
    }
  }

  /** Whether every dimension has finite bounds on both sides. */
  get bounded(): boolean {
    for (let k = 0; k < this.size; k++) if (!Number.isFinite(this.low[k]) || !Number.isFinite(this.high[k])) return false;
    return true;
  }

  /**
   * As Gymnasium's `Box.sample`: `np_random.uniform(low, high)` per element (integer dtypes:
   * over [low, high + 1), floored), clipped and cast to the dtype. Gymnasium draws unbounded
   * dimensions from normal/exponential distributions; those are refused rather than drawn differently.
   */
  sample(): BoxValue {
    const out = allocDType(this.dtype, this.size);
    const rng = this.npRandom;
    const integer = !isFloatDType(this.dtype);
    for (let k = 0; k < this.size; k++) {
      const lo = this.low[k]!, hi = this.high[k]!;
      if (!Number.isFinite(lo) || !Number.isFinite(hi)) {
        throw new Error(`${this}: sampling unbounded dimensions is not supported yet (index ${k}); give the Box finite bounds or sample yourself`);
      }
      const v = rng.uniform(0, lo, integer ? hi + 1 : hi);
      out[k] = Math.min(hi, Math.max(lo, integer ? Math.floor(v) : v));
    }
    return out;
  }

  contains(x: unknown): boolean {
    if (typeof x === "number" && this.shape.length === 0) x = [x]; // a scalar Box holds plain numbers
    if (!isNumericArray(x) || x.length !== this.size) return false;
    const integer = !isFloatDType(this.dtype);
    for (let k = 0; k < this.size; k++) {
      const raw = x[k]!;
      if (integer && !Number.isInteger(raw)) return false;
      const v = this.dtype === "float32" ? Math.fround(raw) : raw;
      if (!(v >= this.low[k]! && v <= this.high[k]!)) return false;
    }
    return true;
  }

  toString(): string {
    const fmt = (a: BoxBounds) => {
      const first = a[0]!;
      return a.every((v) => v === first) ? String(first) : `[${Array.from(a).map((v) => +v.toPrecision(6)).join(", ")}]`;
    };
    return `Box(${fmt(this.low)}, ${fmt(this.high)}, (${this.shape.join(",")}${this.shape.length === 1 ? "," : ""}), ${this.dtype})`;
  }

  toJSON(): object {
    return { type: "Box", low: Array.from(this.low), high: Array.from(this.high), shape: this.shape, dtype: this.dtype };
  }
}

/** Several Discrete spaces of sizes `nvec` (with optional starts), one integer each. */
export class MultiDiscrete extends Space<Int32Array> {
  readonly nvec: Int32Array;
  readonly start: Int32Array;
  readonly shape: readonly number[];

  constructor(nvec: ArrayLike<number>, start?: ArrayLike<number>) {
    super();
    this.nvec = Int32Array.from(nvec as ArrayLike<number>);
    if (!this.nvec.length || Array.from(nvec).some((n) => !Number.isSafeInteger(n) || n < 1 || n > INT32_MAX)) {
      throw new RangeError(`MultiDiscrete(nvec): nvec must be a non-empty list of positive integers, got [${Array.from(nvec).join(", ")}]`);
    }
    this.start = start ? Int32Array.from(start) : new Int32Array(this.nvec.length);
    if (this.start.length !== this.nvec.length || Array.from(start ?? []).some((s) => !Number.isSafeInteger(s))) {
      throw new RangeError(`MultiDiscrete start must be ${this.nvec.length} integers, got [${Array.from(start ?? []).join(", ")}]`);
    }
    this.shape = [this.nvec.length];
  }

  /** `(np_random.random(nvec.shape) * nvec).astype(dtype) + start` */
  sample(): Int32Array {
    const out = new Int32Array(this.nvec.length);
    for (let k = 0; k < out.length; k++) out[k] = Math.floor(this.npRandom.random(0) * this.nvec[k]!) + this.start[k]!;
    return out;
  }

  contains(x: unknown): boolean {
    if (!isNumericArray(x) || x.length !== this.nvec.length) return false;
    for (let k = 0; k < x.length; k++) {
      const v = x[k]!;
      if (!Number.isInteger(v) || v < this.start[k]! || v >= this.start[k]! + this.nvec[k]!) return false;
    }
    return true;
  }

  toString(): string {
    const starts = this.start.some((s) => s !== 0) ? `, start=[${Array.from(this.start).join(", ")}]` : "";
    return `MultiDiscrete([${Array.from(this.nvec).join(", ")}]${starts})`;
  }

  toJSON(): object {
    return { type: "MultiDiscrete", nvec: Array.from(this.nvec), start: Array.from(this.start) };
  }
}

/** `n` binary values (0 or 1). */
export class MultiBinary extends Space<Int8Array> {
  readonly shape: readonly number[];

  constructor(readonly n: number) {
    super();
    if (!Number.isSafeInteger(n) || n < 1) throw new RangeError(`MultiBinary(n): n must be a positive integer, got ${n}`);
    this.shape = [n];
  }

  /**
   * `np_random.integers(0, 2, size=n, dtype=np.int8)`: numpy draws int8 values with buffered
   * Lemire rejection on the bytes of 32-bit draws, low byte first; for a range of 2 no byte is
   * rejected and each value is a byte's top bit.
   */
  sample(): Int8Array {
    const out = new Int8Array(this.n);
    let buffer = 0, remaining = 0;
    for (let k = 0; k < this.n; k++) {
      if (remaining === 0) {
        buffer = this.npRandom.nextUint32(0);
        remaining = 3;
      } else {
        buffer >>>= 8;
        remaining--;
      }
      out[k] = ((buffer & 0xff) * 2) >>> 8;
    }
    return out;
  }

  contains(x: unknown): boolean {
    if (!isNumericArray(x) || x.length !== this.n) return false;
    for (let k = 0; k < this.n; k++) if (x[k] !== 0 && x[k] !== 1) return false;
    return true;
  }

  toString(): string {
    return `MultiBinary(${this.n})`;
  }

  toJSON(): object {
    return { type: "MultiBinary", n: this.n };
  }
}

/** A fixed-length tuple of spaces; values are arrays with one entry per sub-space. */
export class Tuple extends Space<unknown[]> {
  readonly shape: readonly number[] = [];

  constructor(readonly spaces: readonly Space[]) {
    super();
    if (!Array.isArray(spaces) || spaces.some((s) => !(s instanceof Space))) throw new TypeError("Tuple(spaces): every entry must be a space");
  }

  /** An integer seed seeds this space, then each sub-space with `np_random.integers(int32 max)` draws, as Gymnasium. */
  override seed(seed?: Seed): unknown {
    if (seed === undefined) {
      super.seed();
      return [undefined, ...this.spaces.map((s) => s.seed())];
    }
    super.seed(seed);
    const subseeds = this.spaces.map(() => this.npRandom.integers(0, INT32_MAX));
    return [seed, ...this.spaces.map((s, k) => s.seed(subseeds[k]!))];
  }

  sample(): unknown[] {
    return this.spaces.map((s) => s.sample());
  }

  contains(x: unknown): boolean {
    return Array.isArray(x) && x.length === this.spaces.length && this.spaces.every((s, k) => s.contains(x[k]));
  }

  toString(): string {
    return `Tuple(${this.spaces.map(String).join(", ")})`;
  }

  toJSON(): object {
    return { type: "Tuple", spaces: this.spaces.map((s) => s.toJSON()) };
  }
}

/** Named sub-spaces; keys are sorted as Gymnasium sorts a plain dict's keys. */
export class Dict extends Space<Record<string, unknown>> {
  readonly shape: readonly number[] = [];
  readonly spaces: Readonly<Record<string, Space>>;

  constructor(spaces: Record<string, Space>) {
    super();
    if (!spaces || typeof spaces !== "object") throw new TypeError("Dict(spaces): pass an object of spaces");
    const keys = Object.keys(spaces).sort();
    for (const k of keys) if (!(spaces[k] instanceof Space)) throw new TypeError(`Dict(spaces): "${k}" is not a space`);
    this.spaces = Object.freeze(Object.fromEntries(keys.map((k) => [k, spaces[k]!])));
  }

  get keys(): string[] {
    return Object.keys(this.spaces);
  }

  override seed(seed?: Seed): unknown {
    const keys = this.keys;
    if (seed === undefined) {
      super.seed();
      return [undefined, ...keys.map((k) => this.spaces[k]!.seed())];
    }
    super.seed(seed);
    const subseeds = keys.map(() => this.npRandom.integers(0, INT32_MAX));
    return [seed, ...keys.map((k, i) => this.spaces[k]!.seed(subseeds[i]!))];
  }

  sample(): Record<string, unknown> {
    return Object.fromEntries(this.keys.map((k) => [k, this.spaces[k]!.sample()]));
  }

  contains(x: unknown): boolean {
    if (!x || typeof x !== "object" || Array.isArray(x)) return false;
    const keys = this.keys;
    const value = x as Record<string, unknown>;
    return Object.keys(value).length === keys.length && keys.every((k) => k in value && this.spaces[k]!.contains(value[k]));
  }

  toString(): string {
    return `Dict(${this.keys.map((k) => `${JSON.stringify(k)}: ${this.spaces[k]}`).join(", ")})`;
  }

  toJSON(): object {
    return { type: "Dict", spaces: Object.fromEntries(this.keys.map((k) => [k, this.spaces[k]!.toJSON()])) };
  }
}

/** The action spaces the vector envs and algorithms batch as flat numbers. */
export type ActionSpace = Discrete | Box | MultiDiscrete | MultiBinary;

export function isNumericArray(x: unknown): x is ArrayLike<number> {
  if (ArrayBuffer.isView(x) && !(x instanceof DataView) && !(x instanceof BigInt64Array) && !(x instanceof BigUint64Array)) return true;
  return Array.isArray(x) && x.every((v) => typeof v === "number");
}

/**
 * Whether two spaces hold the same values: equal, or Boxes of one shape and bounds where one dtype
 * is bool (its 0/1 are exact in every dtype). MinAtar's env class observes bool grids (as its
 * gym.py declares them) while its vector kernel writes the same grids as float32, so a policy or a
 * dataset from one fits the other.
 */
export function sameValues(a: Space, b: Space): boolean {
  const [ja, jb] = [a.toJSON() as Record<string, unknown>, b.toJSON() as Record<string, unknown>];
  if (JSON.stringify(ja) === JSON.stringify(jb)) return true;
  if (!(a instanceof Box && b instanceof Box) || (a.dtype !== "bool" && b.dtype !== "bool")) return false;
  return JSON.stringify({ ...ja, dtype: null }) === JSON.stringify({ ...jb, dtype: null });
}

/** Rebuilds a space from its `toJSON()` form (saved policies and checkpoints record spaces this way). */
export function spaceFromJSON(json: unknown): Space {
  const j = json as Record<string, unknown>;
  switch (j?.type) {
    case "Discrete":
      return new Discrete(j.n as number, (j.start as number) ?? 0);
    case "Box":
      // JSON writes ±Infinity as null: low null is -Infinity, high null is +Infinity
      return new Box(
        (j.low as (number | null)[]).map((v) => v ?? -Infinity),
        (j.high as (number | null)[]).map((v) => v ?? Infinity),
        j.shape as number[],
        j.dtype as DType,
      );
    case "MultiDiscrete":
      return new MultiDiscrete(j.nvec as number[], j.start as number[]);
    case "MultiBinary":
      return new MultiBinary(j.n as number);
    case "Tuple":
      return new Tuple((j.spaces as unknown[]).map(spaceFromJSON));
    case "Dict":
      return new Dict(Object.fromEntries(Object.entries(j.spaces as Record<string, unknown>).map(([k, v]) => [k, spaceFromJSON(v)])));
    default:
      throw new TypeError(`not a space description: ${JSON.stringify(json)?.slice(0, 80)}`);
  }
}
