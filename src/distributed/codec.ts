/**
 * Segments on the wire: a stream entry of three fields — `kind` ("tsrl.segment/1" for PPO's
 * rollouts, "tsrl.transitions/1" for DQN's and SAC's transitions), `meta` (a small JSON object)
 * and `data` (the arrays' bytes, float64 ones first, then float32, little-endian; a transitions
 * segment's final observations are only those of the rows that ended, `meta.finals` of them).
 * Every entry is checked before use — size first, then its kind and shape against the run's,
 * exact byte length, finite numbers, flags in {0, 1} — and a bad one is refused with a
 * SegmentError that says why; nothing read from Redis is ever evaluated as code.
 */
import { endianness } from "node:os";
import { type Segment, type SegmentKind, type SegmentShape, allocateSegment, columnArrays, endedRows, rowArrays } from "../algos/acting.js";

export const SEGMENT_KIND = "tsrl.segment/1";
/** The entry's `kind` of each segment kind. */
export const WIRE_KINDS: Record<SegmentKind, string> = { rollout: SEGMENT_KIND, transitions: "tsrl.transitions/1" };
/** An entry larger than this is refused before it is parsed (a foreign or broken producer). */
export const DEFAULT_MAX_SEGMENT_BYTES = 64 << 20;
const MAX_META_BYTES = 4096;
const ACTOR_NAME = /^[\w.@:-]{1,128}$/;

export class SegmentError extends Error {
  override name = "SegmentError";
}

if (endianness() !== "LE") throw new Error("tsrl/distributed: segments are little-endian typed arrays; this host is big-endian");

interface SegmentMeta {
  actor: string;
  seq: number;
  version: number;
  numEnvs: number;
  numSteps: number;
  obsSize: number;
  actionDim: number;
  episodes: number;
  /** transitions: the final observations sent (rows that ended an episode) */
  finals?: number;
}

/** The arrays of a segment (versions excepted: one per segment, in `meta`) in wire order, float64 first; then the `finals` final observations sent. */
function wireArrays(s: Segment, finals: number): (Float32Array | Float64Array)[] {
  const all = [...rowArrays(s), ...columnArrays(s)].map(([a]) => a).filter((a) => a !== s.versions);
  const ordered = [...all.filter((a) => a instanceof Float64Array), ...all.filter((a) => a instanceof Float32Array)];
  return s.kind === "transitions" ? [...ordered, s.finalObs.subarray(0, finals * s.obsSize)] : ordered;
}

/** The stream entry's fields for `s`, acted by one policy version (`s.versions[0]`). */
export function encodeSegment(s: Segment): [string, string, string, string, string, Buffer] {
  const finals = s.kind === "transitions" ? endedRows(s) : 0;
  const meta: SegmentMeta = { actor: s.actor, seq: s.seq, version: s.versions[0]!, numEnvs: s.numEnvs, numSteps: s.numSteps, obsSize: s.obsSize, actionDim: s.actionDim, episodes: s.episodes.length, ...(s.kind === "transitions" ? { finals } : {}) };
  const arrays = wireArrays(s, finals);
  const episodes = new Float64Array(s.episodes.length * 4);
  s.episodes.forEach((e, k) => episodes.set([e.t, e.env, e.return, e.length], k * 4));
  const parts = [episodes, ...arrays].map((a) => Buffer.from(a.buffer, a.byteOffset, a.byteLength));
  // episodes go first among the float64 arrays so that every array stays 8-byte aligned
  return ["kind", WIRE_KINDS[s.kind], "meta", JSON.stringify(meta), "data", Buffer.concat(parts)];
}

const isInt = (v: unknown, min: number, max: number): v is number => typeof v === "number" && Number.isSafeInteger(v) && v >= min && v <= max;

/**
 * The segment in a stream entry's fields (`[name, value, name, value, …]`), checked against the
 * run's `shape` (kind, default rollout; numSteps, obsSize, actionDim; any numEnvs) and the learner's current `version`
 * (a segment from a later one is foreign); `numActions` (Discrete action spaces) bounds the
 * actions, which index the learner's logits. Throws SegmentError.
 */
export function decodeSegment(fields: Buffer[] | null, shape: Omit<SegmentShape, "numEnvs">, version: number, numActions: number | null, maxBytes = DEFAULT_MAX_SEGMENT_BYTES): Segment {
  if (!fields) throw new SegmentError("the entry was trimmed from the stream (MAXLEN) before it was read");
  const size = fields.reduce((n, f) => n + f.length, 0);
  if (size > maxBytes) throw new SegmentError(`${size} bytes, more than the limit of ${maxBytes}`);
  if (fields.length !== 6) throw new SegmentError(`${fields.length / 2} fields; a segment has kind, meta and data`);
  const get = (name: string): Buffer => {
    for (let k = 0; k < fields.length; k += 2) if (fields[k]!.toString("latin1") === name) return fields[k + 1]!;
    throw new SegmentError(`no "${name}" field`);
  };
  const segmentKind = shape.kind ?? "rollout";
  const kind = get("kind").toString("latin1");
  if (kind !== WIRE_KINDS[segmentKind]) throw new SegmentError(`kind ${JSON.stringify(kind.slice(0, 64))}, not ${WIRE_KINDS[segmentKind]} (this run's actors send ${segmentKind})`);
  const metaBytes = get("meta");
  if (metaBytes.length > MAX_META_BYTES) throw new SegmentError(`meta of ${metaBytes.length} bytes (at most ${MAX_META_BYTES})`);
  let meta: Partial<SegmentMeta>;
  try {
    meta = JSON.parse(metaBytes.toString("utf8")) as Partial<SegmentMeta>;
  } catch {
    throw new SegmentError("meta is not JSON");
  }
  if (typeof meta !== "object" || meta === null || Array.isArray(meta)) throw new SegmentError("meta is not a JSON object");
  if (typeof meta.actor !== "string" || !ACTOR_NAME.test(meta.actor)) throw new SegmentError("meta.actor must be a name of 1–128 letters, digits, '_', '.', '@', ':' or '-'");
  if (!isInt(meta.seq, 0, Number.MAX_SAFE_INTEGER)) throw new SegmentError("meta.seq must be an integer ≥ 0");
  if (!isInt(meta.version, 0, version)) throw new SegmentError(`meta.version must be an integer in [0, ${version}] (the learner's version), got ${JSON.stringify(meta.version)}`);
  if (!isInt(meta.numEnvs, 1, 1 << 16)) throw new SegmentError("meta.numEnvs must be an integer in [1, 65536]");
  for (const key of ["numSteps", "obsSize", "actionDim"] as const) {
    if (meta[key] !== shape[key]) throw new SegmentError(`meta.${key} is ${JSON.stringify(meta[key])}; this run's is ${shape[key]}`);
  }
  if (!isInt(meta.episodes, 0, meta.numEnvs * shape.numSteps)) throw new SegmentError("meta.episodes must be an integer in [0, numEnvs × numSteps]");
  const finals = segmentKind === "transitions" ? meta.finals : 0;
  if (!isInt(finals, 0, meta.numEnvs * shape.numSteps)) throw new SegmentError("meta.finals must be an integer in [0, numEnvs × numSteps]");

  const s = allocateSegment({ ...shape, kind: segmentKind, numEnvs: meta.numEnvs }, meta.actor, meta.seq);
  s.versions.fill(meta.version);
  const arrays = wireArrays(s, finals);
  const data = get("data");
  const expected = meta.episodes * 32 + arrays.reduce((n, a) => n + a.byteLength, 0);
  if (data.length !== expected) throw new SegmentError(`data of ${data.length} bytes; the meta's shape needs ${expected}`);
  // a copy: Redis' buffers need not be aligned for typed-array views
  const bytes = new Uint8Array(data);
  const episodes = new Float64Array(bytes.buffer, 0, meta.episodes * 4);
  let offset = episodes.byteLength;
  for (const a of arrays) {
    new Uint8Array(a.buffer, a.byteOffset, a.byteLength).set(bytes.subarray(offset, offset + a.byteLength));
    offset += a.byteLength;
  }
  for (const a of arrays) {
    for (let k = 0; k < a.length; k++) if (!Number.isFinite(a[k]!)) throw new SegmentError(`a non-finite number (${a[k]}) in the data`);
  }
  if (numActions !== null) for (const a of s.actions) if (!Number.isInteger(a) || a < 0 || a >= numActions) throw new SegmentError(`an action (${a}) outside [0, ${numActions})`);
  for (const flags of [s.dones, s.nextDone, s.terminated, s.truncated]) for (let k = 0; k < flags.length; k++) if (flags[k] !== 0 && flags[k] !== 1) throw new SegmentError("an episode flag (start, terminated, truncated) other than 0 or 1");
  if (segmentKind === "transitions" && endedRows(s) !== finals) throw new SegmentError(`meta.finals is ${finals}, but ${endedRows(s)} rows ended an episode`);
  for (let k = 0; k < meta.episodes; k++) {
    const [t, env, ret, length] = episodes.subarray(k * 4, k * 4 + 4);
    if (!isInt(t, 0, shape.numSteps - 1) || !isInt(env, 0, meta.numEnvs - 1) || !Number.isFinite(ret) || !isInt(length, 1, Number.MAX_SAFE_INTEGER)) throw new SegmentError(`episode ${k} is not (t, env, return, length) within the segment`);
    s.episodes.push({ t, env, return: ret!, length });
  }
  return s;
}
