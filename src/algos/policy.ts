/**
 * Saved policies: what `tsrl enjoy` and the browser need to act — the policy network's
 * architecture and parameters, its action head, and observation statistics — in the tsrl
 * tensor file (see nn/serialize.ts) with `meta.format = "tsrl.policy"`.
 */
import { type Backend, defaultBackend } from "../nn/backend.js";
import { argmaxRows, categoricalSample, gaussianSample, squashedGaussianForward, squashedGaussianMode } from "../nn/distributions.js";
import { Network, type NamedTensor, type NetworkDescription } from "../nn/network.js";
import { TensorFileError, decodeTensorFile, encodeTensorFile } from "../nn/serialize.js";
import { Random } from "../rng/random.js";
import type { RegisteredEnv, TrainingTarget } from "./training-env.js";
import { flatten } from "../envs/space-utils.js";
import { Box, Discrete, type Space, spaceFromJSON } from "../envs/spaces.js";

export const POLICY_FORMAT = "tsrl.policy";
export const POLICY_FORMAT_VERSION = 1;

export type PolicyHead =
  | { kind: "categorical"; numActions: number }
  | { kind: "gaussian"; actionDim: number }
  /** SAC: rows [μ, raw log-std]; the action is tanh(μ)·scale + bias, or sampled from the tanh-squashed Gaussian */
  | { kind: "squashed-gaussian"; actionDim: number; scale: number[]; bias: number[] }
  /** TD3, DDPG: the network's output (in [−1, 1]) · scale + bias */
  | { kind: "deterministic"; actionDim: number; scale: number[]; bias: number[] }
  /** DQN: greedy over Q-values (HL-Gauss: expected value of each action's histogram) */
  | { kind: "q-values"; numActions: number; bins?: { centers: number[] } };

export interface SavedPolicy {
  algo: string;
  envId: string;
  /** the module that registered envId (a user env), so tools can import it again; null for built-ins */
  envModule?: string | null;
  /** the env's spaces as `space.toJSON()` gives them (absent in policies saved before tsrl 0.2: a flat Box) */
  observationSpace?: object;
  actionSpace?: object;
  head: PolicyHead;
  network: NetworkDescription;
  observationNormalization: { mean: number[]; var: number[]; epsilon: number; clip: number } | null;
  /** the training config, for the record */
  config: unknown;
}

/** The env fields of a saved policy, from what the agent trained on. */
export function policyEnv(target: TrainingTarget): Pick<SavedPolicy, "envId" | "envModule" | "observationSpace" | "actionSpace"> {
  return { envId: target.envId, envModule: target.envModule, observationSpace: target.observationSpace.toJSON(), actionSpace: target.actionSpace.toJSON() };
}

export function encodePolicy(policy: SavedPolicy, tensors: NamedTensor[]): Uint8Array {
  return encodeTensorFile({ format: POLICY_FORMAT, version: POLICY_FORMAT_VERSION, ...policy }, tensors);
}

/**
 * A policy whose weights or observation statistics hold NaN or ±Infinity (saved after training
 * diverged, or edited) would act on garbage without a sign; it is refused, naming the tensor.
 */
function assertFinitePolicy(what: string, tensors: ReadonlyMap<string, NamedTensor>, saved: SavedPolicy): void {
  for (const [name, t] of tensors) {
    const i = t.data.findIndex((x) => !Number.isFinite(x));
    if (i >= 0) throw new TensorFileError(`${what}: ${name} holds ${t.data[i]} (entry ${i} of ${t.data.length}): the policy cannot act on non-finite weights; save it from a checkpoint before training diverged`);
  }
  const norm = saved.observationNormalization;
  for (const key of ["mean", "var"] as const) {
    // JSON keeps NaN and Infinity as null; a negative variance makes NaN observations
    const i = norm?.[key]?.findIndex((x) => typeof x !== "number" || !Number.isFinite(x) || (key === "var" && x < 0)) ?? -1;
    if (i >= 0) throw new TensorFileError(`${what}: observationNormalization.${key}[${i}] is ${String(norm![key][i])}, not a finite number${key === "var" ? " ≥ 0" : ""}: the policy cannot normalize observations`);
  }
}

/** A policy ready to act, rebuilt from saved bytes. */
export class Policy {
  saved: SavedPolicy;
  readonly network: Network;
  private logStd: Float32Array | null;
  /** expected Q-values of HL-Gauss heads */
  private readonly qValues: Float32Array;
  private spaces: { observation: Space; action: Space } | undefined;
  private flatObs: Float32Array | undefined;
  private sampleRng: Random | undefined;

  constructor(bytes: Uint8Array, options: { backend?: Backend; maxBatch?: number; source?: string } = {}) {
    const what = options.source ?? "policy file";
    const file = decodeTensorFile(bytes, what);
    const meta = file.meta as Partial<SavedPolicy> & { format?: unknown; version?: unknown };
    if (meta.format !== POLICY_FORMAT) throw new TensorFileError(`${what}: not a saved policy (format ${JSON.stringify(meta.format)})`);
    if (meta.version !== POLICY_FORMAT_VERSION) throw new TensorFileError(`${what}: policy version ${String(meta.version)} is not supported (expected ${POLICY_FORMAT_VERSION})`);
    if (!meta.head || !meta.network || typeof meta.envId !== "string") throw new TensorFileError(`${what}: policy metadata is incomplete`);
    this.saved = meta as SavedPolicy;
    assertFinitePolicy(what, file.tensors, this.saved);
    try {
      this.network = Network.fromDescription(meta.network, { maxBatch: options.maxBatch ?? 1, rng: new Random(0), backend: options.backend ?? defaultBackend() });
    } catch (err) {
      if (err instanceof RangeError) throw new TensorFileError(`${what}: ${err.message}`);
      throw err;
    }
    this.network.loadStateTensors(file.tensors, "policy.");
    this.logStd = meta.head.kind === "gaussian" ? (file.tensors.get("policy.logstd")?.data ?? null) : null;
    if (meta.head.kind === "gaussian" && !this.logStd) throw new TensorFileError(`${what}: gaussian policy without policy.logstd`);
    this.qValues = new Float32Array((options.maxBatch ?? 1) * (meta.head.kind === "q-values" ? meta.head.numActions : 0));
  }

  get envId(): string {
    return this.saved.envId;
  }

  /**
   * The env to play the policy on: `envId` (default its own) made as the policy trained — its own id
   * with the envKwargs and maxEpisodeSteps of its training config (policies saved before configs
   * had them: the id as registered), another id as registered (one env's kwargs mean nothing to
   * another) — with `envKwargs` and `maxEpisodeSteps` replaced where given (null: the registered limit).
   */
  envToPlay(options: Partial<RegisteredEnv> = {}): RegisteredEnv {
    const envId = options.envId ?? this.envId;
    const config = this.saved.config !== null && typeof this.saved.config === "object" ? (this.saved.config as { envKwargs?: unknown; maxEpisodeSteps?: unknown }) : {};
    const own = envId === this.envId;
    const { envKwargs = own ? (config.envKwargs ?? {}) : {}, maxEpisodeSteps = own ? (config.maxEpisodeSteps ?? null) : null } = options;
    if (envKwargs === null || typeof envKwargs !== "object" || Array.isArray(envKwargs)) throw new TensorFileError(`policy of ${this.envId}: its config's envKwargs is ${JSON.stringify(envKwargs)}, not an object of keyword arguments`);
    if (maxEpisodeSteps !== null && !(typeof maxEpisodeSteps === "number" && Number.isSafeInteger(maxEpisodeSteps) && maxEpisodeSteps > 0)) {
      throw new TensorFileError(`policy of ${this.envId}: its config's maxEpisodeSteps is ${JSON.stringify(maxEpisodeSteps)}, not a step count > 0 or null`);
    }
    return { envId, envKwargs: envKwargs as Record<string, unknown>, maxEpisodeSteps };
  }

  /** Loads newer weights and statistics of the same network (an agent's policy as it trains). */
  update(bytes: Uint8Array): void {
    const file = decodeTensorFile(bytes, "policy");
    const meta = file.meta as unknown as SavedPolicy;
    if (JSON.stringify(meta.network) !== JSON.stringify(this.saved.network)) throw new TensorFileError("policy.update: another network architecture");
    assertFinitePolicy("policy.update", file.tensors, meta);
    this.network.loadStateTensors(file.tensors, "policy.");
    this.saved = meta;
    this.logStd = meta.head.kind === "gaussian" ? (file.tensors.get("policy.logstd")?.data ?? null) : null;
  }

  /** The observation space the policy was trained on (a flat Box for policies saved without spaces). */
  get observationSpace(): Space {
    this.spaces ??= this.readSpaces();
    return this.spaces.observation;
  }

  /** The action space the policy acts in. */
  get actionSpace(): Space {
    this.spaces ??= this.readSpaces();
    return this.spaces.action;
  }

  private readSpaces(): { observation: Space; action: Space } {
    const head = this.saved.head;
    const fallbackAction = "actionDim" in head ? new Box(-Infinity, Infinity, [head.actionDim]) : new Discrete(head.numActions);
    return {
      observation: this.saved.observationSpace ? spaceFromJSON(this.saved.observationSpace) : new Box(-Infinity, Infinity, [this.network.inputSize]),
      action: this.saved.actionSpace ? spaceFromJSON(this.saved.actionSpace) : fallbackAction,
    };
  }

  /**
   * SB3's `predict`: the action for one observation, both in the env's own form (a number for
   * Discrete spaces, a Float32Array clipped to the bounds for Box ones): the greedy/mean action,
   * or with `deterministic: false` a sample (from `rng`, default a generator seeded 0). `act` is
   * the batched, flat form.
   */
  predict(observation: unknown, options: { deterministic?: boolean; rng?: Random } = {}): number | Float32Array {
    const rng = options.deterministic === false ? (options.rng ?? (this.sampleRng ??= new Random(0))) : undefined;
    const space = this.actionSpace;
    this.flatObs ??= new Float32Array(this.network.inputSize);
    flatten(this.observationSpace, observation, this.flatObs);
    const head = this.saved.head;
    const out = new Float64Array("actionDim" in head ? head.actionDim : 1);
    this.act(this.flatObs, 1, out, rng);
    if (space instanceof Box) {
      const action = new Float32Array(out.length);
      for (let k = 0; k < out.length; k++) action[k] = Math.min(space.high[k]!, Math.max(space.low[k]!, out[k]!));
      return action;
    }
    return out[0]! + (space instanceof Discrete ? space.start : 0);
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
    } else if (head.kind === "squashed-gaussian") {
      if (rng) {
        const n = batch * head.actionDim;
        const noise = new Float64Array(n);
        for (let i = 0; i < n; i++) noise[i] = rng.normal();
        squashedGaussianForward(output, batch, head.actionDim, noise, head.scale, head.bias, out as Float64Array, new Float64Array(batch), new Float64Array(n));
      } else squashedGaussianMode(output, batch, head.actionDim, head.scale, head.bias, out);
    } else if (head.kind === "deterministic") {
      const d = head.actionDim;
      for (let i = 0; i < batch * d; i++) out[i] = output[i]! * head.scale[i % d]! + head.bias[i % d]!;
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
