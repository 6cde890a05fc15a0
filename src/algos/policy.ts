/**
 * Saved policies: what `tsrl enjoy` and the browser need to act — the policy network's
 * architecture and parameters, its action head, and observation statistics — in the tsrl
 * tensor file (see nn/serialize.ts) with `meta.format = "tsrl.policy"`.
 */
import { type Backend, defaultBackend } from "../nn/backend.js";
import { argmaxRows, categoricalSample, gaussianSample } from "../nn/distributions.js";
import { Network, type NamedTensor, type NetworkDescription } from "../nn/network.js";
import { TensorFileError, decodeTensorFile, encodeTensorFile } from "../nn/serialize.js";
import { Random } from "../rng/random.js";

export const POLICY_FORMAT = "tsrl.policy";
export const POLICY_FORMAT_VERSION = 1;

export type PolicyHead =
  | { kind: "categorical"; numActions: number }
  | { kind: "gaussian"; actionDim: number }
  /** DQN: greedy over Q-values (HL-Gauss: expected value of each action's histogram) */
  | { kind: "q-values"; numActions: number; bins?: { centers: number[] } };

export interface SavedPolicy {
  algo: string;
  envId: string;
  head: PolicyHead;
  network: NetworkDescription;
  observationNormalization: { mean: number[]; var: number[]; epsilon: number; clip: number } | null;
  /** the training config, for the record */
  config: unknown;
}

export function encodePolicy(policy: SavedPolicy, tensors: NamedTensor[]): Uint8Array {
  return encodeTensorFile({ format: POLICY_FORMAT, version: POLICY_FORMAT_VERSION, ...policy }, tensors);
}

/** A policy ready to act, rebuilt from saved bytes. */
export class Policy {
  readonly saved: SavedPolicy;
  readonly network: Network;
  private readonly logStd: Float32Array | null;
  /** expected Q-values of HL-Gauss heads */
  private readonly qValues: Float32Array;

  constructor(bytes: Uint8Array, options: { backend?: Backend; maxBatch?: number; source?: string } = {}) {
    const what = options.source ?? "policy file";
    const file = decodeTensorFile(bytes, what);
    const meta = file.meta as Partial<SavedPolicy> & { format?: unknown; version?: unknown };
    if (meta.format !== POLICY_FORMAT) throw new TensorFileError(`${what}: not a saved policy (format ${JSON.stringify(meta.format)})`);
    if (meta.version !== POLICY_FORMAT_VERSION) throw new TensorFileError(`${what}: policy version ${String(meta.version)} is not supported (expected ${POLICY_FORMAT_VERSION})`);
    if (!meta.head || !meta.network || typeof meta.envId !== "string") throw new TensorFileError(`${what}: policy metadata is incomplete`);
    this.saved = meta as SavedPolicy;
    this.network = Network.fromDescription(meta.network, { maxBatch: options.maxBatch ?? 1, rng: new Random(0), backend: options.backend ?? defaultBackend() });
    this.network.loadStateTensors(file.tensors, "policy.");
    this.logStd = meta.head.kind === "gaussian" ? (file.tensors.get("policy.logstd")?.data ?? null) : null;
    if (meta.head.kind === "gaussian" && !this.logStd) throw new TensorFileError(`${what}: gaussian policy without policy.logstd`);
    this.qValues = new Float32Array((options.maxBatch ?? 1) * (meta.head.kind === "q-values" ? meta.head.numActions : 0));
  }

  get envId(): string {
    return this.saved.envId;
  }

  /**
   * Actions for `batch` observations (row-major in `obs`) into `out`: the greedy or mean action when
   * `rng` is omitted, a sample from the policy otherwise (Q-value heads are always greedy).
   */
  act(obs: Float32Array, batch: number, out: { [i: number]: number }, rng?: Random): void {
    const net = this.network;
    const input = net.inputView(batch);
    const norm = this.saved.observationNormalization;
    if (norm) {
      const d = net.inputSize;
      for (let i = 0; i < batch * d; i++) {
        const k = i % d;
        const v = (obs[i]! - norm.mean[k]!) / Math.sqrt(norm.var[k]! + norm.epsilon);
        input[i] = Math.min(norm.clip, Math.max(-norm.clip, v));
      }
    } else input.set(obs.subarray(0, batch * net.inputSize));
    const output = net.backend.view32(net.forward(batch), batch * net.outputSize);
    const head = this.saved.head;
    if (head.kind === "gaussian") {
      if (rng) gaussianSample(output, this.logStd!, batch, head.actionDim, rng, out as Float64Array);
      else for (let i = 0; i < batch * head.actionDim; i++) out[i] = output[i]!;
    } else if (head.kind === "categorical") {
      if (rng) categoricalSample(output, batch, head.numActions, rng, out);
      else argmaxRows(output, batch, head.numActions, out);
    } else if (head.bins) {
      const centers = head.bins.centers;
      argmaxRows(expectedValues(output, batch, head.numActions, centers, this.qValues), batch, head.numActions, out);
    } else {
      argmaxRows(output, batch, head.numActions, out);
    }
  }
}

/** Q(s, a) = Σ_i softmax(logits_a)_i · center_i for HL-Gauss heads [batch × actions × bins]. */
export function expectedValues(logits: Float32Array, batch: number, numActions: number, centers: ArrayLike<number>, out: Float32Array): Float32Array {
  const bins = centers.length;
  for (let r = 0; r < batch * numActions; r++) {
    const o = r * bins;
    let max = -Infinity;
    for (let i = 0; i < bins; i++) max = Math.max(max, logits[o + i]!);
    let z = 0, s = 0;
    for (let i = 0; i < bins; i++) {
      const e = Math.exp(logits[o + i]! - max);
      z += e;
      s += e * centers[i]!;
    }
    out[r] = s / z;
  }
  return out;
}
