/**
 * Offline-to-online: an agent that starts from another run's checkpoint (`init` in SAC's config).
 * The checkpoint is read as tensors and meta (algorithm, config, state); the receiving algorithm
 * copies what fits its networks. Observation normalization the offline algorithms trained with
 * ((obs − mean)/√(var + ε), from the dataset) is folded into the first Linear layer, so the copied
 * networks take raw observations as SAC does (exact, except the ±10 clip of normalized inputs,
 * which only acts far outside the dataset). In Node `init` is a checkpoint file, opened through the
 * reader src/node/agent-init.ts sets (importing tsrl/node); elsewhere pass the bytes (`initData`).
 */
import type { NamedTensor, Network } from "../nn/network.js";
import { decodeTensorFile } from "../nn/serialize.js";
import { CHECKPOINT_KIND, ConfigError } from "./common.js";
import type { ObsNormalization } from "./offline.js";

/** A checkpoint as a source of initial weights. */
export interface InitCheckpoint {
  algo: string;
  config: Record<string, unknown>;
  state: Record<string, unknown>;
  tensors: ReadonlyMap<string, NamedTensor>;
  /** what to call it in errors */
  label: string;
}

let reader: ((ref: string) => Uint8Array) | null = null;

/** How `init` references are read in Node (set by src/node/agent-init.ts). */
export function setInitReader(read: (ref: string) => Uint8Array): void {
  reader = read;
}

/** Reads and decodes the checkpoint `ref` (or the given bytes), refusing anything that is not a tsrl checkpoint. */
export function openInitCheckpoint(ref: string, bytes: Uint8Array | undefined, algo: string): InitCheckpoint {
  const label = `${algo} --init ${ref}`;
  if (!bytes) {
    if (!reader) throw new ConfigError(`${label}: no way to read it here; import "tsrl/node" (Node) or pass the checkpoint's bytes (initData)`);
    bytes = reader(ref);
  }
  let file: ReturnType<typeof decodeTensorFile>;
  try {
    file = decodeTensorFile(bytes, label);
  } catch (err) {
    throw new ConfigError(`${(err as Error).message}; pass a run of tsrl train sac|iql|bc, or one of its checkpoint files`);
  }
  const meta = file.meta as { kind?: unknown; algo?: unknown; config?: unknown; state?: unknown };
  if (meta.kind !== CHECKPOINT_KIND || typeof meta.algo !== "string" || !meta.config || typeof meta.config !== "object") {
    throw new ConfigError(`${label}: not a tsrl checkpoint (a saved policy holds the actor only); pass a run of tsrl train sac|iql|bc, or one of its checkpoint files`);
  }
  return { algo: meta.algo, config: meta.config as Record<string, unknown>, state: (meta.state ?? {}) as Record<string, unknown>, tensors: file.tensors, label };
}

/** The source tensor `name`, checked to have `size` values. */
export function initTensor(src: InitCheckpoint, name: string, size: number, what: string): Float32Array {
  const t = src.tensors.get(name);
  if (!t) throw new ConfigError(`${src.label}: its checkpoint has no ${name} (${what})`);
  if (t.data.length !== size) throw new ConfigError(`${src.label}: ${name} has shape [${t.shape.join(", ")}], this run's ${what} needs ${size} values`);
  return t.data;
}

/**
 * Copies a source network's parameters (`prefix` + each param name) into `net`. `outputRows`: the
 * source's last Linear has that many outputs of `net`'s (the rest keep their initialization).
 * `normalization` is folded into the first layer's first `normalization.mean.length` inputs;
 * `outputScale` multiplies the last layer (weights and bias).
 */
export function copyNetwork(net: Network, src: InitCheckpoint, prefix: string, what: string, options: { outputRows?: number; normalization?: ObsNormalization | null; outputScale?: number } = {}): void {
  const params = net.params;
  const last = params.length - 2;
  const writes: [Float32Array, Float32Array][] = [];
  for (let p = 0; p < params.length; p++) {
    const param = params[p]!;
    const dst = net.backend.view32(param.value, param.size);
    const isLast = p >= last;
    const out = param.shape.at(-1)!;
    const rows = isLast && options.outputRows !== undefined ? options.outputRows : out;
    const source = initTensor(src, `${prefix}.${param.name}`, (param.size / out) * rows, `${what} (${param.name}, shape [${param.shape.join(", ")}])`);
    const value = Float32Array.from(dst);
    // weights are [in, out]: row k holds input k's weights to every output
    for (let k = 0; k < param.size / out; k++) for (let i = 0; i < rows; i++) value[k * out + i] = source[k * rows + i]!;
    writes.push([dst, value]);
  }
  const n = options.normalization;
  if (n) {
    const [weight, bias] = [writes[0]![1], writes[1]![1]];
    const out = params[0]!.shape.at(-1)!;
    for (let k = 0; k < n.mean.length; k++) {
      const s = Math.sqrt(n.var[k]! + n.epsilon);
      for (let i = 0; i < out; i++) {
        weight[k * out + i] = weight[k * out + i]! / s;
        bias[i] = bias[i]! - weight[k * out + i]! * n.mean[k]!;
      }
    }
  }
  if (options.outputScale !== undefined) for (const [, value] of writes.slice(last)) for (let i = 0; i < value.length; i++) value[i] = value[i]! * options.outputScale;
  for (const [dst, value] of writes) dst.set(value);
}
