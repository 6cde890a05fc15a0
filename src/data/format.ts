/**
 * tsrl's dataset format: recorded episodes of any env, in chunks that can be read one at a time.
 * Browser-safe (no Node imports): encoding, decoding and checks; the files are read and written by
 * src/node/datasets.ts.
 *
 * A dataset is a directory `<name>/` holding `dataset.json` (the manifest: env, spaces, counts,
 * return statistics, and each chunk's file name, size and SHA-256) and `chunk-000000.bin`, … .
 * A chunk holds whole episodes, little-endian, with every array aligned to its element size:
 *
 *   offset 0   magic "TSRLDS01" (8 bytes)
 *   8          u32 episodes E, u32 steps T, u32 obsSize, u32 actionSize, u32 infoBytes, u32 0
 *   32         f64 rewards[T]
 *              i32 lengths[E]                         (steps of each episode, summing to T)
 *              f32 observations[(T + E) × obsSize]   (each episode: its T_e + 1 observations, the last the final one)
 *              f32 actions[T × actionSize]
 *              u8  terminations[T], u8 truncations[T] (1 only at an episode's last step)
 *              utf-8 JSON infos[T] (infoBytes; 0: none recorded)
 *
 * Observations and actions are stored flattened (Gymnasium's `flatten`: Box row-major, Discrete
 * one-hot, Tuple/Dict concatenated), so every space fits; the manifest keeps the spaces to unflatten.
 */
import { sameValues, type Space, spaceFromJSON } from "../envs/spaces.js";

export const DATASET_FORMAT = "tsrl.dataset";
export const DATASET_FORMAT_VERSION = 1;
export const MANIFEST_FILE = "dataset.json";
export const CHUNK_MAGIC = "TSRLDS01";
export const CHUNK_HEADER_BYTES = 32;

/** A dataset that cannot be used: unreadable, damaged, empty or made for another env. */
export class DatasetError extends Error {
  override name = "DatasetError";
}

export interface Summary {
  mean: number;
  std: number;
  min: number;
  max: number;
}

export interface ChunkRecord {
  file: string;
  episodes: number;
  steps: number;
  bytes: number;
  /** hex SHA-256 of the chunk file */
  sha256: string;
}

export interface DatasetManifest {
  format: typeof DATASET_FORMAT;
  version: number;
  name: string;
  envId: string;
  /** the module that registered envId (user envs), null for built-ins */
  envModule: string | null;
  observationSpace: object;
  actionSpace: object;
  /** floats per flattened observation / action */
  obsSize: number;
  actionSize: number;
  episodes: number;
  steps: number;
  returns: Summary;
  lengths: Summary;
  /** whether per-step infos were recorded */
  infos: boolean;
  /** what made it, e.g. { policy: "random", seed: 0 } */
  source: Record<string, unknown>;
  createdAt: string;
  chunks: ChunkRecord[];
}

/** The episodes of one chunk, as flat typed arrays (see the layout above). */
export interface DatasetChunk {
  episodes: number;
  steps: number;
  obsSize: number;
  actionSize: number;
  lengths: Int32Array;
  observations: Float32Array;
  actions: Float32Array;
  rewards: Float64Array;
  terminations: Uint8Array;
  truncations: Uint8Array;
  infos: unknown[] | null;
}

/** What algorithms read datasets through: the manifest, and the chunks one at a time (checked). */
export interface DatasetSource {
  readonly manifest: DatasetManifest;
  chunks(): Iterable<DatasetChunk>;
}

const align = (n: number, to: number) => Math.ceil(n / to) * to;

function layout(episodes: number, steps: number, obsSize: number, actionSize: number, infoBytes: number) {
  const rewards = CHUNK_HEADER_BYTES;
  const lengths = rewards + 8 * steps;
  const observations = lengths + 4 * episodes;
  const actions = observations + 4 * (steps + episodes) * obsSize;
  const terminations = actions + 4 * steps * actionSize;
  const truncations = terminations + steps;
  const infos = truncations + steps;
  return { rewards, lengths, observations, actions, terminations, truncations, infos, end: infos + infoBytes };
}

/** Encodes one chunk; checks the arrays agree with each other first. */
export function encodeChunk(chunk: Omit<DatasetChunk, "episodes" | "steps"> & { episodes?: number; steps?: number }): Uint8Array {
  const E = chunk.lengths.length;
  let T = 0;
  for (let e = 0; e < E; e++) T += chunk.lengths[e]!;
  const full: DatasetChunk = { ...chunk, episodes: E, steps: T };
  checkChunk(full, "chunk to write");
  const info = chunk.infos ? new TextEncoder().encode(JSON.stringify(chunk.infos, jsonTypedArrays)) : new Uint8Array(0);
  const at = layout(E, T, chunk.obsSize, chunk.actionSize, info.length);
  const bytes = new Uint8Array(align(at.end, 8));
  const view = new DataView(bytes.buffer);
  for (let i = 0; i < CHUNK_MAGIC.length; i++) bytes[i] = CHUNK_MAGIC.charCodeAt(i);
  [E, T, chunk.obsSize, chunk.actionSize, info.length, 0].forEach((v, i) => view.setUint32(8 + 4 * i, v, true));
  for (let t = 0; t < T; t++) view.setFloat64(at.rewards + 8 * t, chunk.rewards[t]!, true);
  for (let e = 0; e < E; e++) view.setInt32(at.lengths + 4 * e, chunk.lengths[e]!, true);
  const f32 = (offset: number, values: Float32Array) => values.forEach((v, i) => view.setFloat32(offset + 4 * i, v, true));
  f32(at.observations, chunk.observations);
  f32(at.actions, chunk.actions);
  bytes.set(chunk.terminations, at.terminations);
  bytes.set(chunk.truncations, at.truncations);
  bytes.set(info, at.infos);
  return bytes;
}

/** Typed arrays in infos are written as plain arrays. */
function jsonTypedArrays(_key: string, value: unknown): unknown {
  return ArrayBuffer.isView(value) && !(value instanceof DataView) ? Array.from(value as unknown as ArrayLike<number>) : value;
}

/** Decodes a chunk, checking its header, its length and that its episodes are whole; `source` names it in errors. */
export function decodeChunk(bytes: Uint8Array, source: string): DatasetChunk {
  const bad = (what: string) => new DatasetError(`${source}: ${what}; the file is damaged or not a tsrl dataset chunk (record the dataset again)`);
  if (bytes.length < CHUNK_HEADER_BYTES) throw bad(`only ${bytes.length} bytes`);
  for (let i = 0; i < CHUNK_MAGIC.length; i++) if (bytes[i] !== CHUNK_MAGIC.charCodeAt(i)) throw bad("wrong magic bytes");
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const [E, T, obsSize, actionSize, infoBytes] = [0, 1, 2, 3, 4].map((i) => view.getUint32(8 + 4 * i, true)) as [number, number, number, number, number];
  const at = layout(E, T, obsSize, actionSize, infoBytes);
  if (align(at.end, 8) !== bytes.length) throw bad(`${bytes.length} bytes where its header (${E} episodes, ${T} steps) needs ${align(at.end, 8)}`);
  const rewards = new Float64Array(T);
  for (let t = 0; t < T; t++) rewards[t] = view.getFloat64(at.rewards + 8 * t, true);
  const lengths = new Int32Array(E);
  for (let e = 0; e < E; e++) lengths[e] = view.getInt32(at.lengths + 4 * e, true);
  const f32 = (offset: number, n: number) => {
    const out = new Float32Array(n);
    for (let i = 0; i < n; i++) out[i] = view.getFloat32(offset + 4 * i, true);
    return out;
  };
  let infos: unknown[] | null = null;
  if (infoBytes > 0) {
    try {
      infos = JSON.parse(new TextDecoder().decode(bytes.subarray(at.infos, at.infos + infoBytes))) as unknown[];
    } catch {
      throw bad("its infos are not valid JSON");
    }
  }
  const chunk: DatasetChunk = {
    episodes: E,
    steps: T,
    obsSize,
    actionSize,
    lengths,
    observations: f32(at.observations, (T + E) * obsSize),
    actions: f32(at.actions, T * actionSize),
    rewards,
    terminations: bytes.slice(at.terminations, at.terminations + T),
    truncations: bytes.slice(at.truncations, at.truncations + T),
    infos,
  };
  checkChunk(chunk, source);
  return chunk;
}

/** Array sizes agree, every episode has ≥ 1 step and ends (terminated or truncated) at its last step only. */
function checkChunk(c: DatasetChunk, source: string): void {
  const bad = (what: string) => new DatasetError(`${source}: ${what}`);
  if (c.episodes < 1) throw bad("holds no episodes");
  let T = 0;
  for (let e = 0; e < c.episodes; e++) {
    const n = c.lengths[e]!;
    if (!(n >= 1)) throw bad(`episode ${e} has ${n} steps; every episode needs at least one`);
    for (let t = T; t < T + n; t++) {
      const last = t === T + n - 1;
      const ended = c.terminations[t]! | c.truncations[t]!;
      if (c.terminations[t]! > 1 || c.truncations[t]! > 1) throw bad(`step ${t}: terminations and truncations must be 0 or 1`);
      if (last && !ended) throw bad(`episode ${e} does not end at its last step (neither terminated nor truncated); record whole episodes`);
      if (!last && ended) throw bad(`episode ${e} ends at step ${t - T} but has ${n} steps`);
    }
    T += n;
  }
  if (T !== c.steps) throw bad(`episode lengths sum to ${T}, not ${c.steps} steps`);
  const sizes: [string, number, number][] = [
    ["observations", c.observations.length, (T + c.episodes) * c.obsSize],
    ["actions", c.actions.length, T * c.actionSize],
    ["rewards", c.rewards.length, T],
    ["terminations", c.terminations.length, T],
    ["truncations", c.truncations.length, T],
  ];
  for (const [name, got, want] of sizes) if (got !== want) throw bad(`${name} has ${got} values, expected ${want}`);
  if (c.infos && c.infos.length !== T) throw bad(`infos has ${c.infos.length} entries, expected ${T}`);
}

/** Mean, population std, min and max (all NaN for no values). */
export function summarize(values: readonly number[]): Summary {
  if (values.length === 0) return { mean: NaN, std: NaN, min: NaN, max: NaN };
  const mean = values.reduce((a, b) => a + b, 0) / values.length;
  const std = Math.sqrt(values.reduce((a, v) => a + (v - mean) ** 2, 0) / values.length);
  return { mean, std, min: Math.min(...values), max: Math.max(...values) };
}

/** Parses and checks a manifest (format, version, counts that add up); `source` names it in errors. */
export function parseManifest(text: string, source: string): DatasetManifest {
  let m: Partial<DatasetManifest>;
  try {
    m = JSON.parse(text) as Partial<DatasetManifest>;
  } catch {
    throw new DatasetError(`${source}: not valid JSON; the dataset is damaged (record it again)`);
  }
  if (!m || typeof m !== "object" || m.format !== DATASET_FORMAT) throw new DatasetError(`${source}: not a tsrl dataset manifest (format ${JSON.stringify(m?.format)})`);
  if (m.version !== DATASET_FORMAT_VERSION) throw new DatasetError(`${source}: dataset format version ${String(m.version)} is not supported (this tsrl reads ${DATASET_FORMAT_VERSION})`);
  for (const key of ["name", "envId"] as const) if (typeof m[key] !== "string") throw new DatasetError(`${source}: field ${key} missing`);
  for (const key of ["obsSize", "actionSize", "episodes", "steps"] as const) {
    if (!Number.isSafeInteger(m[key]) || (m[key] as number) < 0) throw new DatasetError(`${source}: field ${key} must be an integer ≥ 0`);
  }
  if (!Array.isArray(m.chunks) || !m.observationSpace || !m.actionSpace) throw new DatasetError(`${source}: fields chunks, observationSpace and actionSpace are required`);
  if (m.episodes === 0 || m.chunks.length === 0) throw new DatasetError(`${source}: the dataset is empty (no episodes); record at least one episode`);
  const episodes = m.chunks.reduce((a, c) => a + c.episodes, 0), steps = m.chunks.reduce((a, c) => a + c.steps, 0);
  if (episodes !== m.episodes || steps !== m.steps) throw new DatasetError(`${source}: its chunks hold ${episodes} episodes and ${steps} steps, the manifest says ${m.episodes} and ${m.steps}`);
  return m as DatasetManifest;
}

/** Whether a manifest's recorded space holds the same values as `space`; one that does not rebuild (a hand-edited manifest) does not. */
function recordedFits(recorded: object, space: Space): boolean {
  try {
    return sameValues(spaceFromJSON(recorded), space);
  } catch {
    return false;
  }
}

/**
 * Throws a DatasetError unless the dataset was recorded with these spaces; names both so the user
 * can pick the right env or dataset.
 */
export function checkDatasetSpaces(manifest: DatasetManifest, envId: string, observationSpace: Space, actionSpace: Space, what = `dataset ${manifest.name}`): void {
  for (const [name, recorded, space] of [["observation", manifest.observationSpace, observationSpace], ["action", manifest.actionSpace, actionSpace]] as const) {
    if (!recordedFits(recorded, space)) {
      throw new DatasetError(
        `${what} was recorded on ${manifest.envId} with ${name} space ${JSON.stringify(recorded)}, but ${envId} has ${String(space)}: ` +
          `train on ${manifest.envId} (--env ${manifest.envId}) or record a dataset on ${envId} (tsrl record --env ${envId})`,
      );
    }
  }
}
