/**
 * Gymnasium's `spaces.utils`: `flatdim`, `flatten`, `unflatten` and `flattenSpace`, with the same
 * layouts (Box row-major, Discrete and MultiDiscrete one-hot, Tuple and Dict concatenated in
 * order). tsrl flattens into float32, the networks' dtype, where Gymnasium keeps each dtype.
 */
import { Box, Dict, Discrete, MultiBinary, MultiDiscrete, type Space, Tuple, allocDType, isNumericArray } from "./spaces.js";

/** Numbers in the flattened form of a value of `space`. */
export function flatdim(space: Space): number {
  if (space instanceof Box) return space.size;
  if (space instanceof Discrete) return space.n;
  if (space instanceof MultiDiscrete) return space.nvec.reduce((a, b) => a + b, 0);
  if (space instanceof MultiBinary) return space.n;
  if (space instanceof Tuple) return space.spaces.reduce((a, s) => a + flatdim(s), 0);
  if (space instanceof Dict) return space.keys.reduce((a, k) => a + flatdim(space.spaces[k]!), 0);
  throw new TypeError(`flatdim: ${String(space)} is not a space tsrl can flatten`);
}

/** Writes the flattened `x` into `out` at `offset` (allocated when omitted); returns `out`. */
export function flatten(space: Space, x: unknown, out: Float32Array = new Float32Array(flatdim(space)), offset = 0): Float32Array {
  flattenInto(space, x, out, offset);
  return out;
}

function flattenInto(space: Space, x: unknown, out: Float32Array, o: number): number {
  if (space instanceof Box) {
    const v = typeof x === "number" ? [x] : x;
    if (!isNumericArray(v) || v.length !== space.size) throw new TypeError(`flatten: expected ${space.size} numbers for ${space}, got ${describeValue(x)}`);
    for (let k = 0; k < space.size; k++) out[o + k] = v[k]!;
    return o + space.size;
  }
  if (space instanceof Discrete) {
    if (!space.contains(x)) throw new TypeError(`flatten: ${describeValue(x)} is not in ${space}`);
    out.fill(0, o, o + space.n);
    out[o + (x as number) - space.start] = 1;
    return o + space.n;
  }
  if (space instanceof MultiDiscrete) {
    if (!space.contains(x)) throw new TypeError(`flatten: ${describeValue(x)} is not in ${space}`);
    const v = x as ArrayLike<number>;
    for (let k = 0; k < space.nvec.length; k++) {
      const n = space.nvec[k]!;
      out.fill(0, o, o + n);
      out[o + v[k]! - space.start[k]!] = 1;
      o += n;
    }
    return o;
  }
  if (space instanceof MultiBinary) {
    if (!space.contains(x)) throw new TypeError(`flatten: ${describeValue(x)} is not in ${space}`);
    const v = x as ArrayLike<number>;
    for (let k = 0; k < space.n; k++) out[o + k] = v[k]!;
    return o + space.n;
  }
  if (space instanceof Tuple) {
    if (!Array.isArray(x) || x.length !== space.spaces.length) throw new TypeError(`flatten: expected an array of ${space.spaces.length} values for ${space}`);
    space.spaces.forEach((s, k) => (o = flattenInto(s, x[k], out, o)));
    return o;
  }
  if (space instanceof Dict) {
    if (!x || typeof x !== "object") throw new TypeError(`flatten: expected an object with keys ${space.keys.join(", ")} for ${space}`);
    for (const k of space.keys) {
      if (!(k in (x as object))) throw new TypeError(`flatten: missing key "${k}" of ${space}`);
      o = flattenInto(space.spaces[k]!, (x as Record<string, unknown>)[k], out, o);
    }
    return o;
  }
  throw new TypeError(`flatten: ${String(space)} is not a space tsrl can flatten`);
}

/** The value of `space` whose flattened form is `flat` (from `offset`). */
export function unflatten(space: Space, flat: ArrayLike<number>, offset = 0): unknown {
  return unflattenAt(space, flat, offset)[0];
}

function unflattenAt(space: Space, flat: ArrayLike<number>, o: number): [unknown, number] {
  if (space instanceof Box) {
    const out = allocDType(space.dtype, space.size);
    for (let k = 0; k < space.size; k++) out[k] = flat[o + k]!;
    return [out, o + space.size];
  }
  if (space instanceof Discrete) return [space.start + argmaxOne(flat, o, space.n, space), o + space.n];
  if (space instanceof MultiDiscrete) {
    const out = new Int32Array(space.nvec.length);
    for (let k = 0; k < out.length; k++) {
      out[k] = space.start[k]! + argmaxOne(flat, o, space.nvec[k]!, space);
      o += space.nvec[k]!;
    }
    return [out, o];
  }
  if (space instanceof MultiBinary) {
    const out = new Int8Array(space.n);
    for (let k = 0; k < space.n; k++) out[k] = flat[o + k]!;
    return [out, o + space.n];
  }
  if (space instanceof Tuple) {
    const values = space.spaces.map((s) => {
      const [v, next] = unflattenAt(s, flat, o);
      o = next;
      return v;
    });
    return [values, o];
  }
  if (space instanceof Dict) {
    const value: Record<string, unknown> = {};
    for (const k of space.keys) [value[k], o] = unflattenAt(space.spaces[k]!, flat, o);
    return [value, o];
  }
  throw new TypeError(`unflatten: ${String(space)} is not a space tsrl can flatten`);
}

/** The index of the single 1 in a one-hot block (Gymnasium: `np.nonzero(x)[0][0]`). */
function argmaxOne(flat: ArrayLike<number>, o: number, n: number, space: Space): number {
  for (let k = 0; k < n; k++) if (flat[o + k] !== 0) return k;
  throw new TypeError(`unflatten: no non-zero entry in the one-hot block of ${space}`);
}

/** The float32 Box that flattened values of `space` live in. */
export function flattenSpace(space: Space): Box {
  if (space instanceof Box) return new Box(space.low, space.high, [space.size], "float32");
  const low: number[] = [], high: number[] = [];
  const visit = (s: Space): void => {
    if (s instanceof Box) {
      for (let k = 0; k < s.size; k++) low.push(s.low[k]!), high.push(s.high[k]!);
    } else if (s instanceof Tuple) s.spaces.forEach(visit);
    else if (s instanceof Dict) s.keys.forEach((k) => visit(s.spaces[k]!));
    else for (let k = 0; k < flatdim(s); k++) low.push(0), high.push(1);
  };
  visit(space);
  return new Box(low, high, [low.length], "float32");
}

function describeValue(x: unknown): string {
  if (ArrayBuffer.isView(x)) return `${x.constructor.name}(${(x as unknown as ArrayLike<number>).length})`;
  if (Array.isArray(x)) return `an array of ${x.length}`;
  return typeof x === "object" ? String(x && Object.keys(x as object)) : JSON.stringify(x) ?? String(x);
}
