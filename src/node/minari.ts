/**
 * Minari's HDF5 layout (minari.farama.org, "Dataset Standards"; Minari's HDF5Storage), read and
 * written with h5wasm (the HDF5 C library in WebAssembly), so D4RL/Minari datasets and tsrl
 * datasets move both ways:
 *
 *   <dir>/data/metadata.json   total_episodes, total_steps, data_format "hdf5", observation_space
 *                              and action_space (each a JSON string: Minari's serialize_space),
 *                              env_spec (a JSON string with the env's id), dataset_id, …
 *   <dir>/data/main_data.hdf5  a group episode_<i> per episode (attrs id, total_steps, seed), with
 *                              observations [T + 1, …] and actions [T, …] (a Dict space: a group
 *                              per key; a Tuple: groups _index_0, _index_1, …), rewards [T],
 *                              terminations [T], truncations [T], and optionally an infos group.
 *
 * Import streams episode by episode into a tsrl dataset (src/node/datasets.ts); export writes one
 * from a tsrl dataset chunk by chunk. Both go through a temp directory renamed into place.
 * Differences: tsrl writes terminations/truncations as uint8 (h5py writes numpy bools as an
 * enum; Minari reads either); an imported episode whose last step carries neither flag is
 * recorded as truncated there (it stopped, not at a terminal state); infos are not converted.
 */
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import type H5wasm from "h5wasm/node";
import { DatasetError, type DatasetManifest } from "../data/format.js";
import { flatdim } from "../envs/space-utils.js";
import { Box, Dict, Discrete, type DType, type Space, Tuple, spaceFromJSON } from "../envs/spaces.js";
import { DatasetWriter, type FileDatasetSource } from "./datasets.js";

type H5Group = InstanceType<typeof H5wasm.Group>;
type H5Dataset = InstanceType<typeof H5wasm.Dataset>;
type Entity = ReturnType<H5Group["get"]>;

const MAIN_FILE = "main_data.hdf5";
const METADATA_FILE = "metadata.json";

/** Python's json.dumps writes ±Infinity and NaN bare; JSON.parse reads 1e999 as Infinity. */
function parsePythonJson(text: string, what: string): unknown {
  try {
    return JSON.parse(text.replace(/-Infinity\b/g, "-1e999").replace(/\bInfinity\b/g, "1e999").replace(/\bNaN\b/g, "null"));
  } catch (err) {
    throw new DatasetError(`${what} is not valid JSON: ${(err as Error).message}`);
  }
}

/** A tsrl space from Minari's serialize_space form (Box, Discrete, Dict, Tuple). */
export function spaceFromMinari(json: unknown, what: string): Space {
  const j = (typeof json === "string" ? parsePythonJson(json, what) : json) as Record<string, unknown>;
  switch (j?.type) {
    case "Box": {
      const flat = (v: unknown): number[] => (Array.isArray(v) ? v.flatMap(flat) : [v === null ? NaN : (v as number)]);
      const dtype = String(j.dtype) as DType;
      return new Box(flat(j.low), flat(j.high), j.shape as number[], dtype);
    }
    case "Discrete":
      return new Discrete(j.n as number, (j.start as number) ?? 0);
    case "Dict":
      return new Dict(Object.fromEntries(Object.entries(j.subspaces as Record<string, unknown>).map(([k, v]) => [k, spaceFromMinari(v, `${what}.${k}`)])));
    case "Tuple":
      return new Tuple((j.subspaces as unknown[]).map((v, i) => spaceFromMinari(v, `${what}[${i}]`)));
    default:
      throw new DatasetError(`${what}: space type ${JSON.stringify(j?.type)} cannot be converted (tsrl reads Box, Discrete, Dict and Tuple)`);
  }
}

/** Minari's serialize_space form of a tsrl space. */
export function spaceToMinari(space: Space): object {
  if (space instanceof Box) {
    return { type: "Box", dtype: space.dtype, shape: [...space.shape], low: Array.from(space.low), high: Array.from(space.high) };
  }
  if (space instanceof Discrete) return { type: "Discrete", dtype: "int64", start: space.start, n: space.n };
  if (space instanceof Dict) return { type: "Dict", subspaces: Object.fromEntries(space.keys.map((k) => [k, spaceToMinari(space.spaces[k]!)])) };
  if (space instanceof Tuple) return { type: "Tuple", subspaces: space.spaces.map(spaceToMinari) };
  throw new DatasetError(`${String(space)} has no Minari form (Minari stores Box, Discrete, Dict, Tuple and Text)`);
}

/** Infinity is not JSON; Python's json reads the bare tokens Minari's own files hold. */
function pythonJson(value: unknown): string {
  return JSON.stringify(value, (_k, v) => (v === Infinity ? "__inf__" : v === -Infinity ? "__-inf__" : v)).replace(/"__inf__"/g, "Infinity").replace(/"__-inf__"/g, "-Infinity");
}

/** h5wasm, loaded on first use: its WebAssembly takes over a second to load, which no other command should pay. */
let h5wasm: typeof H5wasm;
async function hdf5(): Promise<void> {
  h5wasm ??= (await import("h5wasm/node")).default;
  await h5wasm.ready;
}

/** Numbers of a dataset's value (int64 comes as BigInt64Array, booleans as 0/1). */
function numbers(ds: H5Dataset, path: string): ArrayLike<number> {
  const v = ds.value as unknown;
  if (v instanceof BigInt64Array || v instanceof BigUint64Array) return Array.from(v, Number);
  if (ArrayBuffer.isView(v)) return v as unknown as ArrayLike<number>;
  if (Array.isArray(v) && v.every((x) => typeof x === "number" || typeof x === "boolean")) return v.map(Number);
  if (typeof v === "number" || typeof v === "boolean") return [Number(v)];
  throw new DatasetError(`${path}: not numeric data (${ds.dtype})`);
}

/**
 * Writes `rows` rows of `space`'s values from HDF5 entity `entity` flattened into `out`
 * (row stride `stride`, from column `column`), checking shapes and that each path keeps one dtype.
 */
function readFlat(space: Space, entity: Entity, path: string, rows: number, out: Float32Array, stride: number, column: number, dtypes: Map<string, string>): number {
  const key = path.replace(/^episode_\d+\//, "");
  if (space instanceof Dict || space instanceof Tuple) {
    if (!(entity instanceof h5wasm.Group)) throw new DatasetError(`${path}: expected a group for ${String(space)}`);
    const parts: [string, Space][] = space instanceof Dict ? space.keys.map((k) => [k, space.spaces[k]!]) : space.spaces.map((s, i) => [`_index_${i}`, s]);
    for (const [name, sub] of parts) column = readFlat(sub, entity.get(name), `${path}/${name}`, rows, out, stride, column, dtypes);
    return column;
  }
  if (!(entity instanceof h5wasm.Dataset)) throw new DatasetError(`${path} is missing (expected a dataset for ${String(space)})`);
  const dtype = String(entity.dtype);
  const first = dtypes.get(key);
  if (first === undefined) dtypes.set(key, dtype);
  else if (first !== dtype) throw new DatasetError(`${path} has dtype ${dtype} but the first episode's ${key} has ${first} (mixed dtypes); write every episode with one dtype`);
  const shape = entity.shape ?? [];
  const size = space instanceof Box ? space.size : 1;
  const perRow = shape.slice(1).reduce((a, b) => a * b, 1);
  if (shape[0] !== rows || perRow !== size) throw new DatasetError(`${path} has shape [${shape.join(", ")}], expected [${rows}${space instanceof Box && space.shape.length ? `, ${space.shape.join(", ")}` : ""}] for ${String(space)}`);
  const v = numbers(entity, path);
  if (space instanceof Box) {
    for (let r = 0; r < rows; r++) for (let k = 0; k < size; k++) out[r * stride + column + k] = v[r * size + k]!;
    return column + size;
  }
  if (space instanceof Discrete) {
    for (let r = 0; r < rows; r++) {
      const a = v[r]! - space.start;
      if (!(Number.isInteger(a) && a >= 0 && a < space.n)) throw new DatasetError(`${path}[${r}] = ${v[r]} is not in ${String(space)}`);
      out.fill(0, r * stride + column, r * stride + column + space.n);
      out[r * stride + column + a] = 1;
    }
    return column + space.n;
  }
  throw new DatasetError(`${path}: ${String(space)} cannot be read from Minari data`);
}

/** Writes `rows` flattened rows of `space` as Minari's datasets/groups named `name` in `group`. */
function writeSpace(space: Space, group: H5Group, name: string, flat: Float32Array, rows: number, stride: number, column: number): number {
  if (space instanceof Dict || space instanceof Tuple) {
    const sub = group.create_group(name);
    const parts: [string, Space][] = space instanceof Dict ? space.keys.map((k) => [k, space.spaces[k]!]) : space.spaces.map((s, i) => [`_index_${i}`, s]);
    for (const [key, s] of parts) column = writeSpace(s, sub, key, flat, rows, stride, column);
    return column;
  }
  if (space instanceof Box) {
    const data = space.dtype === "float64" ? new Float64Array(rows * space.size) : new Float32Array(rows * space.size);
    for (let r = 0; r < rows; r++) for (let k = 0; k < space.size; k++) data[r * space.size + k] = flat[r * stride + column + k]!;
    group.create_dataset({ name, data, shape: [rows, ...space.shape] });
    return column + space.size;
  }
  if (space instanceof Discrete) {
    const data = new BigInt64Array(rows);
    for (let r = 0; r < rows; r++) {
      let a = 0;
      while (a < space.n - 1 && flat[r * stride + column + a] === 0) a++;
      data[r] = BigInt(a + space.start);
    }
    group.create_dataset({ name, data, shape: [rows] });
    return column + space.n;
  }
  throw new DatasetError(`${String(space)} has no Minari form`);
}

/** Imports a Minari dataset directory (its data/ folder, or the dataset directory above it) as the tsrl dataset `out`. */
export async function importMinari(dir: string, out: string, options: { envId?: string } = {}): Promise<DatasetManifest> {
  await hdf5();
  const data = existsSync(join(dir, "data", METADATA_FILE)) ? join(dir, "data") : dir;
  const metaPath = join(data, METADATA_FILE);
  if (!existsSync(metaPath)) throw new DatasetError(`no Minari dataset at ${dir}: ${METADATA_FILE} not found (in ${dir}/data or ${dir})`);
  const meta = parsePythonJson(readFileSync(metaPath, "utf8"), metaPath) as Record<string, unknown>;
  if (meta.data_format !== undefined && meta.data_format !== "hdf5") throw new DatasetError(`${metaPath}: data_format ${JSON.stringify(meta.data_format)}; tsrl reads Minari's hdf5 format`);
  if (meta.observation_space === undefined || meta.action_space === undefined) throw new DatasetError(`${metaPath}: observation_space and action_space are required (tsrl cannot rebuild a Gymnasium env from env_spec)`);
  const observationSpace = spaceFromMinari(meta.observation_space, "observation_space");
  const actionSpace = spaceFromMinari(meta.action_space, "action_space");
  const spec = typeof meta.env_spec === "string" ? (parsePythonJson(meta.env_spec, "env_spec") as { id?: string }) : null;
  const envId = options.envId ?? spec?.id;
  if (!envId) throw new DatasetError(`${metaPath} names no env (env_spec.id); pass the env id (--env)`);
  const total = meta.total_episodes;
  if (!(Number.isSafeInteger(total) && (total as number) >= 1)) throw new DatasetError(`${metaPath}: total_episodes is ${JSON.stringify(total)}; an empty dataset is not imported`);
  const file = new h5wasm.File(join(data, MAIN_FILE), "r");
  const writer = new DatasetWriter(out, { envId, observationSpace, actionSpace, source: { minari: basename(dir), dataset_id: meta.dataset_id ?? null } });
  try {
    const d = flatdim(observationSpace), a = flatdim(actionSpace);
    const dtypes = new Map<string, string>();
    for (let e = 0; e < (total as number); e++) {
      const path = `episode_${e}`;
      const group = file.get(path);
      if (!(group instanceof h5wasm.Group)) throw new DatasetError(`${join(data, MAIN_FILE)}: ${path} is missing (total_episodes is ${total})`);
      const rewardsDs = group.get("rewards");
      if (!(rewardsDs instanceof h5wasm.Dataset)) throw new DatasetError(`${path}/rewards is missing`);
      const rewards = numbers(rewardsDs, `${path}/rewards`);
      const T = rewards.length;
      if (T < 1) throw new DatasetError(`${path} has no steps`);
      const obs = new Float32Array((T + 1) * d), act = new Float32Array(T * a);
      readFlat(observationSpace, group.get("observations"), `${path}/observations`, T + 1, obs, d, 0, dtypes);
      readFlat(actionSpace, group.get("actions"), `${path}/actions`, T, act, a, 0, dtypes);
      const flags = (name: string) => {
        const ds = group.get(name);
        if (!(ds instanceof h5wasm.Dataset)) throw new DatasetError(`${path}/${name} is missing`);
        const v = numbers(ds, `${path}/${name}`);
        if (v.length !== T) throw new DatasetError(`${path}/${name} has ${v.length} values, rewards ${T}`);
        return v;
      };
      const term = flags("terminations"), trunc = flags("truncations");
      writer.begin(obs.subarray(0, d));
      for (let t = 0; t < T; t++) {
        const last = t === T - 1;
        const terminated = term[t] !== 0, truncated = trunc[t] !== 0 || (last && term[t] === 0);
        if (!last && (terminated || truncated)) throw new DatasetError(`${path} ends at step ${t} of ${T} (terminations/truncations set before its last step)`);
        writer.step(act.subarray(t * a, (t + 1) * a), rewards[t]!, terminated, truncated, obs.subarray((t + 1) * d, (t + 2) * d));
      }
    }
    return writer.finish();
  } catch (err) {
    writer.abort();
    throw err;
  } finally {
    file.close();
  }
}

/** Exports a tsrl dataset as a Minari dataset directory `out` (`out`/data/…), written aside and renamed into place. */
export async function exportMinari(source: FileDatasetSource, out: string, options: { datasetId?: string } = {}): Promise<void> {
  await hdf5();
  if (existsSync(out)) throw new DatasetError(`${out} already exists; choose another directory`);
  const m = source.manifest;
  const observationSpace = spaceFromJSON(m.observationSpace), actionSpace = spaceFromJSON(m.actionSpace);
  const temp = join(dirname(out), `.${basename(out)}.${process.pid}.${Date.now()}.tmp`);
  mkdirSync(join(temp, "data"), { recursive: true });
  try {
    const file = new h5wasm.File(join(temp, "data", MAIN_FILE), "w");
    try {
      let e = 0;
      for (const c of source.chunks()) {
        let t0 = 0, o0 = 0;
        for (let k = 0; k < c.episodes; k++, e++) {
          const T = c.lengths[k]!;
          const group = file.create_group(`episode_${e}`);
          group.create_attribute("id", e);
          group.create_attribute("total_steps", T);
          writeSpace(observationSpace, group, "observations", c.observations.subarray(o0 * c.obsSize, (o0 + T + 1) * c.obsSize), T + 1, c.obsSize, 0);
          writeSpace(actionSpace, group, "actions", c.actions.subarray(t0 * c.actionSize, (t0 + T) * c.actionSize), T, c.actionSize, 0);
          group.create_dataset({ name: "rewards", data: c.rewards.slice(t0, t0 + T) });
          group.create_dataset({ name: "terminations", data: c.terminations.slice(t0, t0 + T) });
          group.create_dataset({ name: "truncations", data: c.truncations.slice(t0, t0 + T) });
          t0 += T;
          o0 += T + 1;
        }
      }
    } finally {
      file.close();
    }
    const metadata = {
      dataset_id: options.datasetId ?? m.name,
      total_episodes: m.episodes,
      total_steps: m.steps,
      data_format: "hdf5",
      observation_space: pythonJson(spaceToMinari(observationSpace)),
      action_space: pythonJson(spaceToMinari(actionSpace)),
      env_spec: JSON.stringify({ id: m.envId }),
      algorithm_name: JSON.stringify(m.source),
    };
    writeFileSync(join(temp, "data", METADATA_FILE), JSON.stringify(metadata));
    renameSync(temp, out);
  } catch (err) {
    rmSync(temp, { recursive: true, force: true });
    throw err;
  }
}
