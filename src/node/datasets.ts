/**
 * Datasets on disk (format: src/data/format.ts): written into a temp directory beside the target
 * and renamed into place when complete, so a crash or an error never leaves a half dataset under
 * its name; read one chunk at a time, each checked against its SHA-256 in the manifest.
 * Importing this module lets algorithms open datasets by name from the run store.
 */
import { createHash } from "node:crypto";
import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeSync } from "node:fs";
import { basename, dirname, join, resolve } from "node:path";
import { Policy } from "../algos/policy.js";
import { type DatasetChunk, DatasetError, type DatasetManifest, type DatasetSource, DATASET_FORMAT, DATASET_FORMAT_VERSION, MANIFEST_FILE, type ChunkRecord, decodeChunk, encodeChunk, parseManifest, summarize } from "../data/format.js";
import { ChunkBuilder, setDatasetOpener } from "../data/episodes.js";
import { spec } from "../envs/registry.js";
import { makeEnv } from "../algos/training-env.js";
import { flatdim, flatten } from "../envs/space-utils.js";
import { sameValues, type Space, spaceFromJSON } from "../envs/spaces.js";
import { readFileBounded } from "./atomic-write.js";
import { Random } from "../rng/random.js";

/** A manifest is a page of JSON plus one line a chunk; anything far larger is not one. */
const MAX_MANIFEST_BYTES = 16 << 20;
/** Steps per chunk file: a few MB for small observations, so a reader holds one chunk at a time. */
export const DEFAULT_CHUNK_STEPS = 50_000;

/** `<store>/datasets`: the store is `--store`, else $TSRL_STORE, else ./tsrl-runs. */
export function datasetsDirectory(store?: string): string {
  return join(resolve(store ?? process.env.TSRL_STORE ?? "tsrl-runs"), "datasets");
}

/** A dataset's directory: a name is looked up in the store's datasets, a path (with a / or starting with .) is itself. */
export function datasetPath(ref: string, store?: string): string {
  if (ref.includes("/") || ref.startsWith(".")) return resolve(ref);
  checkDatasetName(ref);
  return join(datasetsDirectory(store), ref);
}

export function checkDatasetName(name: string): void {
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/.test(name)) {
    throw new DatasetError(`dataset name ${JSON.stringify(name)}: use letters, digits, ".", "_" and "-" (at most 128, not starting with a dot or dash)`);
  }
}

/** A dataset directory read chunk by chunk; each chunk's size and SHA-256 are checked before it is decoded. */
export class FileDatasetSource implements DatasetSource {
  readonly manifest: DatasetManifest;

  constructor(readonly dir: string) {
    const file = join(dir, MANIFEST_FILE);
    if (!existsSync(dir)) throw new DatasetError(`no dataset at ${dir}; see \`tsrl datasets list\`, or record one with \`tsrl record\``);
    let text: string;
    try {
      text = readFileBounded(file, MAX_MANIFEST_BYTES);
    } catch (err) {
      throw new DatasetError(`cannot read ${file}: ${(err as Error).message}; is ${dir} a tsrl dataset?`);
    }
    this.manifest = parseManifest(text, file);
    for (const c of this.manifest.chunks) {
      if (basename(c.file) !== c.file || !/^[\w.-]+$/.test(c.file)) throw new DatasetError(`${file}: chunk file name ${JSON.stringify(c.file)} is not a plain file name`);
    }
  }

  *chunks(): Generator<DatasetChunk> {
    for (const c of this.manifest.chunks) yield this.readChunk(c);
  }

  private readChunk(c: ChunkRecord): DatasetChunk {
    const path = join(this.dir, c.file);
    let bytes: Buffer;
    try {
      const size = statSync(path).size;
      if (size !== c.bytes) throw new DatasetError(`${path} has ${size} bytes, the manifest says ${c.bytes}: the file is truncated or was replaced; record the dataset again`);
      bytes = readFileSync(path);
    } catch (err) {
      if (err instanceof DatasetError) throw err;
      throw new DatasetError(`cannot read chunk ${path}: ${(err as Error).message}`);
    }
    const digest = createHash("sha256").update(bytes).digest("hex");
    if (digest !== c.sha256) throw new DatasetError(`${path}: checksum mismatch (SHA-256 ${digest.slice(0, 12)}…, the manifest says ${c.sha256.slice(0, 12)}…): the file is corrupted; record the dataset again`);
    const chunk = decodeChunk(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength), path);
    if (chunk.episodes !== c.episodes || chunk.steps !== c.steps) throw new DatasetError(`${path}: holds ${chunk.episodes} episodes and ${chunk.steps} steps, the manifest says ${c.episodes} and ${c.steps}`);
    return chunk;
  }
}

export function openDatasetFile(ref: string, store?: string): FileDatasetSource {
  return new FileDatasetSource(datasetPath(ref, store));
}

setDatasetOpener((ref) => openDatasetFile(ref));

export interface DatasetWriterOptions {
  envId: string;
  envModule?: string | null;
  observationSpace: Space;
  actionSpace: Space;
  /** what made the data, recorded in the manifest */
  source: Record<string, unknown>;
  infos?: boolean;
  chunkSteps?: number;
}

/**
 * Writes a dataset into `<dir>` atomically: chunks go to a hidden temp directory beside it as they
 * fill, `finish()` writes the manifest and renames the directory into place; `abort()` (or any
 * error in `finish`) removes the temp directory. An existing dataset is never overwritten.
 */
export class DatasetWriter {
  readonly builder: ChunkBuilder;
  private readonly temp: string;
  private readonly chunks: ChunkRecord[] = [];
  private readonly returns: number[] = [];
  private readonly lengths: number[] = [];
  private readonly chunkSteps: number;
  private episodeReturn = 0;
  private episodeLength = 0;
  private closed = false;

  constructor(readonly dir: string, private readonly options: DatasetWriterOptions) {
    checkDatasetName(basename(dir));
    if (existsSync(dir)) throw new DatasetError(`dataset ${dir} already exists; choose another --out name or delete it first`);
    this.chunkSteps = options.chunkSteps ?? DEFAULT_CHUNK_STEPS;
    this.builder = new ChunkBuilder(flatdim(options.observationSpace), flatdim(options.actionSpace), { infos: options.infos });
    try {
      mkdirSync(dirname(dir), { recursive: true });
      this.temp = join(dirname(dir), `.${basename(dir)}.${process.pid}.${Date.now()}.tmp`);
      mkdirSync(this.temp);
    } catch (err) {
      throw new DatasetError(`cannot write dataset ${dir}: ${(err as Error).message}`);
    }
  }

  begin(obs: ArrayLike<number>): void {
    this.builder.begin(obs);
    this.episodeReturn = 0;
    this.episodeLength = 0;
  }

  step(action: ArrayLike<number>, reward: number, terminated: boolean, truncated: boolean, nextObs: ArrayLike<number>, info?: unknown): void {
    this.builder.step(action, reward, terminated, truncated, nextObs, info);
    this.episodeReturn += reward;
    this.episodeLength++;
    if (terminated || truncated) {
      this.returns.push(this.episodeReturn);
      this.lengths.push(this.episodeLength);
      if (this.builder.steps >= this.chunkSteps) this.flush();
    }
  }

  /** Adds whole episodes as one chunk of their own (e.g. from another dataset), between episodes. */
  addChunk(chunk: DatasetChunk): void {
    this.flush();
    if (chunk.obsSize !== this.builder.obsSize || chunk.actionSize !== this.builder.actionSize) {
      throw new DatasetError(`a chunk of ${chunk.obsSize}-float observations and ${chunk.actionSize}-float actions cannot join a dataset of ${this.builder.obsSize} and ${this.builder.actionSize}`);
    }
    let t = 0;
    for (let e = 0; e < chunk.episodes; e++) {
      let ret = 0;
      for (let k = 0; k < chunk.lengths[e]!; k++) ret += chunk.rewards[t++]!;
      this.returns.push(ret);
      this.lengths.push(chunk.lengths[e]!);
    }
    this.writeChunk(chunk);
  }

  private flush(): void {
    if (this.builder.episodes === 0) return;
    this.writeChunk(this.builder.take());
  }

  private writeChunk(chunk: DatasetChunk): void {
    const bytes = encodeChunk(chunk);
    const file = `chunk-${String(this.chunks.length).padStart(6, "0")}.bin`;
    writeSynced(join(this.temp, file), bytes);
    this.chunks.push({ file, episodes: chunk.episodes, steps: chunk.steps, bytes: bytes.length, sha256: createHash("sha256").update(bytes).digest("hex") });
  }

  /** Writes the manifest and moves the dataset into place; an empty dataset is refused (and removed). */
  finish(): DatasetManifest {
    if (this.closed) throw new DatasetError("DatasetWriter.finish: already finished or aborted");
    try {
      this.flush();
      if (this.chunks.length === 0) throw new DatasetError(`dataset ${basename(this.dir)} would be empty (no whole episode recorded); nothing was written`);
      const o = this.options;
      const manifest: DatasetManifest = {
        format: DATASET_FORMAT,
        version: DATASET_FORMAT_VERSION,
        name: basename(this.dir),
        envId: o.envId,
        envModule: o.envModule ?? null,
        observationSpace: o.observationSpace.toJSON(),
        actionSpace: o.actionSpace.toJSON(),
        obsSize: this.builder.obsSize,
        actionSize: this.builder.actionSize,
        episodes: this.returns.length,
        steps: this.lengths.reduce((a, b) => a + b, 0),
        returns: summarize(this.returns),
        lengths: summarize(this.lengths),
        infos: o.infos ?? false,
        source: o.source,
        createdAt: new Date().toISOString(),
        chunks: this.chunks,
      };
      writeSynced(join(this.temp, MANIFEST_FILE), new TextEncoder().encode(`${JSON.stringify(manifest, null, 1)}\n`));
      syncDirectory(this.temp);
      if (existsSync(this.dir)) throw new DatasetError(`dataset ${this.dir} appeared while recording; this one was not written`);
      renameSync(this.temp, this.dir);
      syncDirectory(dirname(this.dir));
      this.closed = true;
      return manifest;
    } catch (err) {
      this.abort();
      throw err;
    }
  }

  /** Removes everything written so far. */
  abort(): void {
    this.closed = true;
    rmSync(this.temp, { recursive: true, force: true });
  }
}

function writeSynced(path: string, bytes: Uint8Array): void {
  const fd = openSync(path, "w");
  try {
    let written = 0;
    while (written < bytes.length) written += writeSync(fd, bytes, written, bytes.length - written);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

function syncDirectory(dir: string): void {
  try {
    const fd = openSync(dir, "r");
    fsyncSync(fd);
    closeSync(fd);
  } catch {
    // some filesystems refuse fsync on directories; the rename is still atomic
  }
}

/** Writes the episodes of several datasets of one env (same spaces) into a new dataset, chunk by chunk. */
export function mergeDatasets(out: string, sources: readonly FileDatasetSource[]): DatasetManifest {
  if (sources.length === 0) throw new DatasetError("merge: name at least one dataset to merge");
  const first = sources[0]!.manifest;
  for (const s of sources) {
    const m = s.manifest;
    if (JSON.stringify([m.observationSpace, m.actionSpace]) !== JSON.stringify([first.observationSpace, first.actionSpace])) {
      throw new DatasetError(`merge: dataset ${m.name} (${m.envId}) has other spaces than ${first.name} (${first.envId}); only datasets of one env merge`);
    }
  }
  const writer = new DatasetWriter(out, {
    envId: first.envId,
    envModule: first.envModule,
    observationSpace: spaceFromJSON(first.observationSpace),
    actionSpace: spaceFromJSON(first.actionSpace),
    infos: sources.every((s) => s.manifest.infos),
    source: { merged: sources.map((s) => ({ name: s.manifest.name, episodes: s.manifest.episodes, source: s.manifest.source })) },
  });
  try {
    // infos are kept only when every part has them (a dataset's steps all have infos or none do)
    const infos = sources.every((s) => s.manifest.infos);
    for (const s of sources) for (const chunk of s.chunks()) writer.addChunk(infos ? chunk : { ...chunk, infos: null });
    return writer.finish();
  } catch (err) {
    writer.abort();
    throw err;
  }
}

/** The datasets in a store (manifests that cannot be read are listed with their error). */
export function listDatasets(store?: string): ({ name: string; manifest: DatasetManifest } | { name: string; error: string })[] {
  const dir = datasetsDirectory(store);
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true })
    .filter((e) => e.isDirectory() && !e.name.startsWith("."))
    .map((e) => e.name)
    .sort()
    .map((name) => {
      try {
        return { name, manifest: new FileDatasetSource(join(dir, name)).manifest };
      } catch (err) {
        return { name, error: (err as Error).message };
      }
    });
}

/** A user's controller: the env's observation (and the episode and step) to an action of its action space. */
export type PolicyFunction = (observation: unknown, at: { episode: number; step: number }) => unknown;

export interface RecordOptions {
  envId: string;
  /**
   * the env's keyword arguments and time limit (null: the registered one); with a saved policy of
   * `envId`, each defaults to the one it trained with, otherwise to the id as registered
   */
  envKwargs?: Record<string, unknown>;
  maxEpisodeSteps?: number | null;
  /** a saved policy's bytes, "random" (uniform actions from the action space, seeded), or a function */
  policy: Uint8Array | "random" | PolicyFunction;
  episodes: number;
  out: string;
  seed?: number;
  /** sample from the policy instead of its greedy/mean action */
  stochastic?: boolean;
  infos?: boolean;
  /** the policy's description for the manifest (e.g. its file name) */
  policyName?: string;
  /** called after each episode */
  onEpisode?(episode: number, ret: number, length: number): void;
}

/** The function's action at (episode, step), refused unless it is one of the action space's. */
function functionAction(fn: PolicyFunction, obs: unknown, episode: number, step: number, space: Space, name: string): unknown {
  const action = fn(obs, { episode, step });
  if (action instanceof Promise) throw new DatasetError(`${name} returned a Promise at episode ${episode + 1}, step ${step + 1}; return the action itself (the function is called synchronously)`);
  if (!space.contains(action)) {
    const shown = ArrayBuffer.isView(action) ? `[${Array.from(action as unknown as ArrayLike<number>).join(", ")}]` : JSON.stringify(action) ?? String(action);
    throw new DatasetError(`${name} returned ${shown} at episode ${episode + 1}, step ${step + 1}, which is not in the action space ${String(space)}; return a value of that space (clip Box actions to its bounds); nothing was written`);
  }
  return action;
}

/** Runs `episodes` whole episodes of the policy in `envId` (made as `RecordOptions` says) and writes them as a dataset. */
export function recordDataset(o: RecordOptions): DatasetManifest {
  if (!(Number.isSafeInteger(o.episodes) && o.episodes >= 1)) throw new DatasetError(`episodes must be an integer ≥ 1, got ${o.episodes}; an empty dataset is not written`);
  const seed = o.seed ?? 0;
  const fn = typeof o.policy === "function" ? o.policy : null;
  if (fn && o.stochastic) throw new DatasetError("stochastic: a policy function chooses its own actions; drop --stochastic (draw random numbers in the function to sample)");
  const policy = o.policy === "random" || fn ? null : new Policy(o.policy as Uint8Array, { source: o.policyName ?? "policy" });
  const overrides = { envId: o.envId, envKwargs: o.envKwargs, maxEpisodeSteps: o.maxEpisodeSteps };
  const env = makeEnv(policy ? policy.envToPlay(overrides) : overrides, "record");
  if (policy) {
    for (const [what, mine, its] of [["observation", env.observationSpace, policy.observationSpace], ["action", env.actionSpace, policy.actionSpace]] as const) {
      if (!sameValues(mine, its)) {
        env.close();
        throw new DatasetError(`the policy was trained on ${policy.envId} with ${what} space ${String(its)}, ${o.envId} has ${String(mine)}: record with --env ${policy.envId}`);
      }
    }
  }
  const writer = new DatasetWriter(o.out, {
    envId: o.envId,
    envModule: spec(o.envId).module,
    observationSpace: env.observationSpace,
    actionSpace: env.actionSpace,
    infos: o.infos,
    source: { policy: o.policyName ?? (policy ? "policy" : fn ? "function" : "random"), seed, stochastic: o.stochastic ?? false },
  });
  try {
    env.actionSpace.seed(seed);
    const rng = o.stochastic ? new Random(seed) : undefined;
    const obsFlat = new Float32Array(writer.builder.obsSize), actFlat = new Float32Array(writer.builder.actionSize);
    for (let e = 0; e < o.episodes; e++) {
      let [obs] = env.reset(e === 0 ? { seed } : {});
      writer.begin(flatten(env.observationSpace, obs, obsFlat));
      let ret = 0, length = 0;
      for (;;) {
        const action = fn ? functionAction(fn, obs, e, length, env.actionSpace, o.policyName ?? "the policy function") : policy ? policy.predict(obs, { deterministic: !o.stochastic, rng }) : env.actionSpace.sample();
        const [next, reward, terminated, truncated, info] = env.step(action as never);
        ret += reward;
        length++;
        writer.step(flatten(env.actionSpace, action, actFlat), reward, terminated, truncated, flatten(env.observationSpace, next, obsFlat), o.infos ? info : undefined);
        obs = next;
        if (terminated || truncated) break;
      }
      o.onEpisode?.(e, ret, length);
    }
    return writer.finish();
  } catch (err) {
    writer.abort();
    throw err;
  } finally {
    env.close();
  }
}
