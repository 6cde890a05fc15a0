/**
 * Parameters and optimizer state together, in the tensor file format (serialize.ts) with
 * `meta.format = "tsrl.parameters"`: tensors are named "<module>.<param>" (e.g. "actor.0.weight")
 * and "optimizer.<moment>.<block>"; the optimizer's kind, step count and hyperparameters are in
 * `meta.optimizer`. Several optimizers (SAC: critics, actor, entropy coefficient) are passed as a
 * record by name: tensors "optimizer.<name>.<moment>.<block>", metadata in `meta.optimizers`.
 * Loading checks every name and shape before changing anything.
 */
import type { NamedTensor, Parameterized } from "./network.js";
import type { Optimizer, OptimizerState } from "./optim.js";
import { TensorFileError, decodeTensorFile, encodeTensorFile } from "./serialize.js";

export const PARAMETERS_FORMAT = "tsrl.parameters";
export const PARAMETERS_FORMAT_VERSION = 1;

/** One optimizer, or several by name. */
export type Optimizers = Optimizer | Record<string, Optimizer>;

function isSingle(o: Optimizers): o is Optimizer {
  return typeof (o as Optimizer).getState === "function";
}

function moduleTensors(name: string, module: Parameterized): NamedTensor[] {
  return module.params.map((p) => ({ name: `${name}.${p.name}`, shape: [...p.shape], data: module.backend.view32(p.value, p.size).slice() }));
}

/** `extra` tensors (e.g. a replay buffer) are stored under "extra.<name>" and come back from `loadParameters`. */
export function saveParameters(modules: Record<string, Parameterized>, optimizer?: Optimizers, meta: Record<string, unknown> = {}, extra: NamedTensor[] = []): Uint8Array {
  const tensors = Object.entries(modules).flatMap(([name, m]) => moduleTensors(name, m));
  for (const t of extra) tensors.push({ ...t, name: `extra.${t.name}` });
  const stateMeta = (o: Optimizer, prefix: string): Omit<OptimizerState, "tensors"> => {
    const { tensors: moments, ...rest } = o.getState();
    for (const t of moments) tensors.push({ ...t, name: `${prefix}${t.name}` });
    return rest;
  };
  if (optimizer && !isSingle(optimizer)) {
    const optimizers = Object.fromEntries(Object.entries(optimizer).map(([name, o]) => [name, stateMeta(o, `optimizer.${name}.`)]));
    return encodeTensorFile({ ...meta, format: PARAMETERS_FORMAT, version: PARAMETERS_FORMAT_VERSION, optimizer: null, optimizers }, tensors);
  }
  const optimizerMeta = optimizer ? stateMeta(optimizer, "optimizer.") : null;
  return encodeTensorFile({ ...meta, format: PARAMETERS_FORMAT, version: PARAMETERS_FORMAT_VERSION, optimizer: optimizerMeta }, tensors);
}

/** Loads what `saveParameters` wrote into the same modules (and optimizer); returns the metadata and the extra tensors. */
export function loadParameters(
  bytes: Uint8Array,
  modules: Record<string, Parameterized>,
  optimizer?: Optimizers,
  source = "parameters file",
): { meta: Record<string, unknown>; extra: Map<string, NamedTensor> } {
  const file = decodeTensorFile(bytes, source);
  const { format, version, optimizer: optimizerMeta, optimizers: namedMeta, ...meta } = file.meta as {
    format?: unknown;
    version?: unknown;
    optimizer?: Omit<OptimizerState, "tensors"> | null;
    optimizers?: Record<string, Omit<OptimizerState, "tensors">>;
  };
  if (format !== PARAMETERS_FORMAT) throw new TensorFileError(`${source}: not a parameters file (format ${JSON.stringify(format)})`);
  if (version !== PARAMETERS_FORMAT_VERSION) throw new TensorFileError(`${source}: version ${String(version)} is not supported (expected ${PARAMETERS_FORMAT_VERSION})`);
  // Check everything first so that a mismatch changes nothing.
  const writes: [Float32Array, Float32Array][] = [];
  for (const [name, m] of Object.entries(modules)) {
    for (const p of m.params) {
      const t = file.tensors.get(`${name}.${p.name}`);
      if (!t) throw new TensorFileError(`${source}: missing ${name}.${p.name}`);
      if (t.shape.join("×") !== p.shape.join("×")) throw new TensorFileError(`${source}: ${name}.${p.name} has shape [${t.shape.join(", ")}], expected [${p.shape.join(", ")}]`);
      writes.push([m.backend.view32(p.value, p.size), t.data]);
    }
  }
  const optimizerWrites: [Optimizer, OptimizerState][] = [];
  const checkOptimizer = (o: Optimizer, saved: Omit<OptimizerState, "tensors"> | null | undefined, prefix: string, what: string) => {
    if (!saved) throw new TensorFileError(`${source}: holds no ${what} state`);
    const tensors = [...file.tensors.values()].filter((t) => t.name.startsWith(prefix)).map((t) => ({ ...t, name: t.name.slice(prefix.length) }));
    const state = { ...saved, tensors };
    const probe = o.getState();
    if (probe.kind !== state.kind) throw new TensorFileError(`${source}: ${what} state is ${state.kind}, not ${probe.kind}`);
    for (const t of probe.tensors) {
      const found = tensors.find((x) => x.name === t.name);
      if (!found || found.data.length !== t.data.length) throw new TensorFileError(`${source}: ${what} ${t.name} missing or of the wrong size`);
    }
    optimizerWrites.push([o, state]);
  };
  if (optimizer && isSingle(optimizer)) checkOptimizer(optimizer, optimizerMeta, "optimizer.", "optimizer");
  else if (optimizer) for (const [name, o] of Object.entries(optimizer)) checkOptimizer(o, namedMeta?.[name], `optimizer.${name}.`, `optimizer ${name}`);
  for (const [dst, src] of writes) dst.set(src);
  for (const [o, state] of optimizerWrites) o.setState(state);
  const extra = new Map<string, NamedTensor>();
  for (const t of file.tensors.values()) if (t.name.startsWith("extra.")) extra.set(t.name.slice(6), { ...t, name: t.name.slice(6) });
  return { meta, extra };
}
