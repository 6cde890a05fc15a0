/**
 * The dashboard's view of the store's datasets (`<store>/datasets`, format in src/data/format.ts):
 * the list from the manifests, and a dataset's return and length histograms.
 *
 * The manifest keeps only summaries (mean, std, min, max) of the episodes' returns and lengths,
 * so the histograms are computed by streaming the chunks once — and only the front of each
 * chunk: the header, the rewards and the episode lengths come before the observations and
 * actions, so a chunk's observations are never read. The result is cached per dataset (a
 * dataset is never changed in place; a new one under the same name has a new manifest).
 * The chunks' SHA-256 are not checked here (`tsrl datasets show --verify` does): only their sizes
 * and headers against the manifest.
 */
import { closeSync, openSync, readSync, statSync } from "node:fs";
import { join } from "node:path";
import { CHUNK_HEADER_BYTES as HEADER_BYTES, CHUNK_MAGIC as MAGIC, DatasetError, type DatasetManifest, MANIFEST_FILE } from "../data/format.js";
import { spaceFromJSON } from "../envs/spaces.js";
import { FileDatasetSource, checkDatasetName, datasetsDirectory, listDatasets } from "../node/datasets.js";
import { binsFor, histogram } from "./histogram.js";
import { NotFoundError } from "./store-reader.js";
import type { DatasetDetail, DatasetSummary } from "./types.js";

export class DatasetReader {
  private readonly dir: string;
  private readonly cache = new Map<string, { stamp: string; detail: DatasetDetail }>();

  constructor(private readonly store: string) {
    this.dir = datasetsDirectory(store);
  }

  list(): DatasetSummary[] {
    return listDatasets(this.store).map((d) => ("error" in d ? { name: d.name, error: d.error } : summary(d.manifest)));
  }

  detail(name: string): DatasetDetail {
    try {
      checkDatasetName(name);
    } catch {
      throw new NotFoundError(`no dataset named ${JSON.stringify(name)}`);
    }
    const dir = join(this.dir, name);
    let stamp: string;
    try {
      stamp = String(statSync(join(dir, MANIFEST_FILE)).mtimeMs);
    } catch {
      throw new NotFoundError(`no dataset ${name} in ${this.dir}; record one with \`tsrl record --out ${name}\``);
    }
    const cached = this.cache.get(name);
    if (cached?.stamp === stamp) return cached.detail;
    const source = new FileDatasetSource(dir);
    const m = source.manifest;
    const { returns, lengths } = episodeStats(dir, m);
    const detail: DatasetDetail = {
      ...(summary(m) as Required<Omit<DatasetSummary, "error">>),
      envModule: m.envModule,
      observationSpace: { text: spaceText(m.observationSpace), json: m.observationSpace },
      actionSpace: { text: spaceText(m.actionSpace), json: m.actionSpace },
      obsSize: m.obsSize,
      actionSize: m.actionSize,
      infos: m.infos,
      chunks: m.chunks.length,
      bytes: m.chunks.reduce((a, c) => a + c.bytes, 0),
      returnHistogram: histogram(returns, { bins: binsFor(returns.length) }),
      lengthHistogram: histogram(lengths, { bins: binsFor(lengths.length), integer: true }),
    };
    this.cache.set(name, { stamp, detail });
    return detail;
  }
}

function summary(m: DatasetManifest): DatasetSummary {
  return { name: m.name, envId: m.envId, episodes: m.episodes, steps: m.steps, returns: m.returns, lengths: m.lengths, source: m.source, createdAt: m.createdAt };
}

function spaceText(json: unknown): string {
  try {
    return String(spaceFromJSON(json));
  } catch {
    return JSON.stringify(json);
  }
}

/** Each episode's return and length, from the front of every chunk (header, rewards, lengths), checked against the manifest. */
export function episodeStats(dir: string, m: DatasetManifest): { returns: Float64Array; lengths: Int32Array } {
  const returns = new Float64Array(m.episodes), lengths = new Int32Array(m.episodes);
  let episode = 0;
  for (const c of m.chunks) {
    const path = join(dir, c.file);
    const bad = (what: string) => new DatasetError(`${path}: ${what}; the dataset is damaged (record it again)`);
    const want = HEADER_BYTES + 8 * c.steps + 4 * c.episodes;
    const bytes = new Uint8Array(want);
    let fd: number;
    try {
      fd = openSync(path, "r");
    } catch (err) {
      throw bad(`cannot open it (${(err as Error).message})`);
    }
    try {
      const size = statSync(path).size;
      if (size !== c.bytes) throw bad(`${size} bytes, the manifest says ${c.bytes}`);
      let got = 0;
      while (got < want) {
        const n = readSync(fd, bytes, got, want - got, got);
        if (n === 0) throw bad(`ends after ${got} bytes`);
        got += n;
      }
    } finally {
      closeSync(fd);
    }
    for (let i = 0; i < MAGIC.length; i++) if (bytes[i] !== MAGIC.charCodeAt(i)) throw bad("wrong magic bytes");
    const view = new DataView(bytes.buffer);
    const E = view.getUint32(8, true), T = view.getUint32(12, true);
    if (E !== c.episodes || T !== c.steps) throw bad(`its header says ${E} episodes and ${T} steps, the manifest ${c.episodes} and ${c.steps}`);
    let t = 0;
    for (let e = 0; e < E; e++) {
      const n = view.getInt32(HEADER_BYTES + 8 * T + 4 * e, true);
      if (!(n >= 1) || t + n > T) throw bad(`episode ${e} has ${n} steps`);
      // summed in step order, as the recorder summed them for the manifest's statistics
      let ret = 0;
      for (let k = 0; k < n; k++) ret += view.getFloat64(HEADER_BYTES + 8 * (t + k), true);
      returns[episode] = ret;
      lengths[episode++] = n;
      t += n;
    }
    if (t !== T) throw bad(`its episode lengths sum to ${t}, not ${T} steps`);
  }
  return { returns, lengths };
}
