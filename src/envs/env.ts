/**
 * Gymnasium's `Env` and `Wrapper` (1.x semantics): `reset({seed, options})` → `[obs, info]`,
 * `step(action)` → `[obs, reward, terminated, truncated, info]`, spaces, `npRandom` seeded as
 * `Env.reset(seed=...)` seeds `np_random`, `render()`, `close()`, `spec`, `metadata`.
 * Write your own environment by extending `Env`; the built-in ones are `KernelEnv`s (a kernel with
 * one state and one generator).
 */
import { Generator } from "../rng/generator.js";
import { type Seed, assertValidSeed } from "../rng/seed-sequence.js";
import { type EnvKernel, type GeneratorBank, type RenderTarget, type ResetOptions, type StepOutcome, checkResetArgs, parseKernelResetOptions } from "./kernel.js";
import { type ActionSpace, type Box, type BoxValue, Discrete, type Space } from "./spaces.js";

export type Info = Record<string, unknown>;
/** An action of the built-in envs: an integer for Discrete spaces, an array for Box ones. */
export type Action = number | BoxValue | readonly number[];
export type StepResult<O = Float32Array> = [obs: O, reward: number, terminated: boolean, truncated: boolean, info: Info];
export interface ResetArgs {
  seed?: Seed;
  options?: ResetOptions;
}

/** An RGB frame: `data` is height × width × 3, row-major, top row first. */
export type RgbFrame = RenderTarget;

export interface EnvMetadata {
  renderModes: string[];
  renderFps: number;
}

/** What `register` recorded for an id (Gymnasium's `EnvSpec`). */
export interface EnvSpec {
  id: string;
  /** a factory `(kwargs) => Env | EnvKernel`, or a kernel */
  entryPoint: EnvEntryPoint;
  maxEpisodeSteps: number | null;
  rewardThreshold: number | null;
  /**
   * Gymnasium's `vector_entry_point`: a kernel with the same behaviour as the entry point's env,
   * which `makeVec` and the algorithms step in one struct-of-arrays loop (null when there is none)
   */
  vectorEntryPoint: ((kwargs: Record<string, unknown>) => EnvKernel<GeneratorBank>) | null;
  /** default keyword arguments for the entry point; `make(id, kwargs)` overrides them */
  kwargs: Record<string, unknown>;
  /** the module that registered the id (`tsrl train --env ./my-env.js:MyEnv-v0`), null for built-ins */
  module: string | null;
}

export type EnvEntryPoint = EnvKernel | ((kwargs: Record<string, unknown>) => Env | EnvKernel);

export abstract class Env<O = unknown, A = unknown> {
  abstract readonly observationSpace: Space;
  abstract readonly actionSpace: Space;
  private generator: Generator | undefined;
  // accessors rather than fields, so that wrappers can forward them to the env they wrap
  private specValue: EnvSpec | null = null;
  private metadataValue: EnvMetadata = { renderModes: ["rgb_array"], renderFps: 30 };

  /** set by `make`; null for an env built directly */
  get spec(): EnvSpec | null {
    return this.specValue;
  }
  set spec(spec: EnvSpec | null) {
    this.specValue = spec;
  }

  /** render modes and frames per second (Gymnasium's `metadata["render_fps"]`) */
  get metadata(): EnvMetadata {
    return this.metadataValue;
  }
  set metadata(metadata: EnvMetadata) {
    this.metadataValue = metadata;
  }

  /**
   * `np_random`: the env's generator. `reset({seed})` seeds it; used before any seed it is seeded
   * from OS entropy, as in Gymnasium. Draw all of the env's randomness from it so runs repeat.
   */
  get npRandom(): Generator {
    if (!this.generator) this.generator = new Generator();
    return this.generator;
  }

  set npRandom(generator: Generator) {
    this.generator = generator;
  }

  /**
   * Starts an episode. Subclasses call `super.reset(args)` first (it seeds `npRandom` when a seed
   * is given, and leaves it running otherwise), then return `[observation, info]`.
   */
  reset(args: ResetArgs = {}): [O, Info] {
    checkResetArgs(String(this), args);
    if (args.seed !== undefined) {
      assertValidSeed(args.seed, `${this}.reset: seed`);
      this.generator = new Generator(args.seed);
    }
    return undefined as never;
  }

  abstract step(action: A): StepResult<O>;

  /** An RGB frame of the current state, or null when the env cannot draw itself. */
  render(): RgbFrame | null {
    return null;
  }

  close(): void {}

  /** The innermost environment, below every wrapper. */
  get unwrapped(): Env {
    return this as Env;
  }

  /**
   * Optional, for checkpoints and exact resume: everything the env holds besides `npRandom` (which
   * tsrl saves itself), as JSON-serializable data; `setState` restores it. An env without them
   * trains, but cannot be checkpointed.
   */
  getState?(): unknown;
  setState?(state: unknown): void;

  toString(): string {
    return `<${this.constructor.name}${this.spec ? ` ${this.spec.id}` : ""}>`;
  }
}

/** Serializable state of a `KernelEnv`: enough to continue exactly (checkpoints, replay). */
export interface KernelEnvState {
  state: number[];
  phase: "needs-reset" | "running" | "ended";
}

/** The raw environment (Gymnasium's `CartPoleEnv` etc.): a kernel with one state and one generator. */
export class KernelEnv extends Env<Float32Array, Action> {
  readonly actionSpace: ActionSpace;
  readonly observationSpace: Box;
  readonly state: Float64Array;
  private phase: KernelEnvState["phase"] = "needs-reset";
  private readonly action1 = new Float64Array(1);
  private readonly outcome: StepOutcome = { reward: 0, terminated: false };
  /** the generator of a kernel that brings its own kind (e.g. MT19937); PCG64 kernels draw from npRandom */
  private readonly ownBank: GeneratorBank | null;
  private ownBankSeeded = false;

  constructor(readonly kernel: EnvKernel<GeneratorBank>) {
    super();
    this.actionSpace = kernel.actionSpace;
    this.observationSpace = kernel.observationSpace;
    this.state = new Float64Array(kernel.stateFields.length);
    this.ownBank = kernel.rng ? kernel.rng.create(1) : null;
    this.metadata = { renderModes: ["rgb_array", "ansi"], renderFps: kernel.renderFps };
  }

  private get label(): string {
    return this.spec?.id ?? this.kernel.name;
  }

  override reset(args: ResetArgs = {}): [Float32Array, Info] {
    checkResetArgs(this.label, args);
    const parsed = parseKernelResetOptions(this.label, this.kernel, args.options);
    super.reset(args);
    if (this.ownBank && (args.seed !== undefined || !this.ownBankSeeded)) {
      this.ownBank.seed(0, args.seed);
      this.ownBankSeeded = true;
    }
    this.kernel.reset(this.state, 1, 0, this.bank, parsed);
    this.phase = "running";
    return [this.observe(), {}];
  }

  step(action: Action): StepResult {
    if (this.phase === "needs-reset") throw new Error(`${this.label}: step() called before reset(); call env.reset() first`);
    if (this.phase === "ended") {
      throw new Error(`${this.label}: step() called after the episode terminated; call env.reset() to start a new episode`);
    }
    const actions = this.checkAction(action);
    const out = this.outcome;
    this.kernel.step(this.state, 1, 0, actions, 0, this.bank, out);
    if (out.terminated) this.phase = "ended";
    return [this.observe(), out.reward, out.terminated, false, {}];
  }

  /** Marks the episode as over without termination (TimeLimit's truncation). */
  endEpisode(): void {
    if (this.phase === "running") this.phase = "ended";
  }

  override render(): RgbFrame {
    if (this.phase === "needs-reset") throw new Error(`${this.label}: render() called before reset(); call env.reset() first`);
    const { width, height } = this.kernel.renderSize;
    const frame = { width, height, data: new Uint8Array(width * height * 3) };
    this.kernel.render(this.state, 1, 0, frame);
    return frame;
  }

  /** The generators the kernel draws from. */
  private get bank(): GeneratorBank {
    return this.ownBank ?? this.npRandom.bank;
  }

  override getState(): KernelEnvState & { rng: unknown } {
    return { state: Array.from(this.state), rng: this.bank.getState(0), phase: this.phase };
  }

  override setState(s: unknown): void {
    const st = s as KernelEnvState & { rng: unknown };
    if (!st || !Array.isArray(st.state) || st.state.length !== this.state.length) {
      throw new TypeError(`${this.label}: state must have ${this.state.length} numbers`);
    }
    this.state.set(st.state);
    if (st.rng) {
      this.bank.setState(0, st.rng);
      this.ownBankSeeded = true;
    }
    this.phase = st.phase;
  }

  private observe(): Float32Array {
    const obs = new Float32Array(this.observationSpace.size);
    this.kernel.observe(this.state, 1, 0, obs, 0);
    return obs;
  }

  private checkAction(action: Action): ArrayLike<number> {
    const space = this.actionSpace;
    if (space instanceof Discrete) {
      if (!space.contains(action)) {
        throw new RangeError(
          `${this.label}: invalid action ${describe(action)}; the action space is ${space}, so pass an integer in [${space.start}, ${space.start + space.n})`,
        );
      }
      this.action1[0] = (action as number) - space.start;
      return this.action1;
    }
    const box = space as Box;
    const size = box.size;
    if (typeof action === "number" || !(ArrayBuffer.isView(action) || Array.isArray(action)) || action.length !== size) {
      throw new TypeError(
        `${this.label}: invalid action ${describe(action)}; the action space is ${space}, so pass an array of ${size} number${size > 1 ? "s" : ""}, e.g. [${Array.from(box.low).join(", ")}]`,
      );
    }
    for (let k = 0; k < size; k++) {
      const v = action[k];
      if (typeof v !== "number" || !Number.isFinite(v)) {
        throw new RangeError(`${this.label}: action[${k}] is ${String(v)}; actions must be finite numbers (the action space is ${space})`);
      }
    }
    return action as ArrayLike<number>;
  }
}

export function describe(x: unknown): string {
  if (ArrayBuffer.isView(x)) return `${x.constructor.name}[${Array.from(x as unknown as ArrayLike<number>).join(", ")}]`;
  if (Array.isArray(x)) return `[${x.map(String).join(", ")}]`;
  return typeof x === "string" ? JSON.stringify(x) : String(x);
}

/** Base for wrappers: forwards everything to the wrapped env. */
export class Wrapper<O = Float32Array, A = Action, IO = O, IA = A> extends Env<O, A> {
  constructor(readonly env: Env<IO, IA>) {
    super();
    if (!(env instanceof Env)) throw new TypeError(`${new.target.name} wraps an Env, got ${describe(env)}`);
  }
  get actionSpace(): Space {
    return this.env.actionSpace;
  }
  get observationSpace(): Space {
    return this.env.observationSpace;
  }
  override get spec(): EnvSpec | null {
    return this.env.spec;
  }
  override set spec(_: EnvSpec | null) {
    // the spec belongs to the wrapped env
  }
  override get metadata(): EnvMetadata {
    return this.env.metadata;
  }
  override set metadata(_: EnvMetadata) {
    // the metadata belongs to the wrapped env
  }
  override get npRandom(): Generator {
    return this.env.npRandom;
  }
  override set npRandom(generator: Generator) {
    this.env.npRandom = generator;
  }
  override get unwrapped(): Env {
    return this.env.unwrapped;
  }
  override reset(args?: ResetArgs): [O, Info] {
    return this.env.reset(args) as unknown as [O, Info];
  }
  step(action: A): StepResult<O> {
    return this.env.step(action as unknown as IA) as unknown as StepResult<O>;
  }
  override render(): RgbFrame | null {
    return this.env.render();
  }
  override close(): void {
    this.env.close();
  }
  override toString(): string {
    return `<${this.constructor.name}${this.env.toString()}>`;
  }
}

/** Gymnasium's `TimeLimit`: truncates the episode after `maxEpisodeSteps` steps. */
export class TimeLimit<O = Float32Array, A = Action> extends Wrapper<O, A, O, A> {
  private elapsed = 0;

  constructor(
    env: Env<O, A>,
    readonly maxEpisodeSteps: number,
  ) {
    super(env);
    if (!Number.isSafeInteger(maxEpisodeSteps) || maxEpisodeSteps < 1) {
      throw new RangeError(`TimeLimit: maxEpisodeSteps must be a positive integer, got ${maxEpisodeSteps}`);
    }
  }

  get elapsedSteps(): number {
    return this.elapsed;
  }

  override getState(): { elapsedSteps: number } {
    return { elapsedSteps: this.elapsed };
  }

  override setState(state: unknown): void {
    const s = state as { elapsedSteps: number } | null;
    if (!Number.isSafeInteger(s?.elapsedSteps) || s!.elapsedSteps < 0) {
      throw new TypeError(`TimeLimit state needs a non-negative integer elapsedSteps, got ${String(s?.elapsedSteps)}`);
    }
    this.elapsed = s!.elapsedSteps;
  }

  override reset(args?: ResetArgs): [O, Info] {
    const result = super.reset(args);
    this.elapsed = 0;
    return result;
  }

  override step(action: A): StepResult<O> {
    const result = super.step(action);
    this.elapsed += 1;
    if (this.elapsed >= this.maxEpisodeSteps) {
      result[3] = true;
      const raw = this.unwrapped;
      if (raw instanceof KernelEnv) raw.endEpisode();
    }
    return result;
  }
}
