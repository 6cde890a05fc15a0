/**
 * Gymnasium's single-environment API over a kernel: `reset({seed})`, `step(action)` returning
 * `[obs, reward, terminated, truncated, info]`, spaces, `render()`, and wrappers.
 */
import { PCG64Bank, type PCG64State } from "../rng/pcg64.js";
import { type Seed, assertValidSeed } from "../rng/seed-sequence.js";
import type { EnvKernel, RenderTarget, ResetOptions } from "./kernel.js";
import { type ActionSpace, Box, type BoxValue, Discrete } from "./spaces.js";

export type Info = Record<string, unknown>;
export type Action = number | BoxValue | readonly number[];
export type StepResult<O = Float32Array> = [obs: O, reward: number, terminated: boolean, truncated: boolean, info: Info];
export interface ResetArgs {
  seed?: Seed;
  options?: ResetOptions;
}

export interface EnvSpec {
  id: string;
  maxEpisodeSteps: number | null;
  rewardThreshold: number | null;
  kernel: EnvKernel;
}

/** An RGB frame: `data` is height × width × 3, row-major, top row first. */
export type RgbFrame = RenderTarget;

export abstract class Env<O = Float32Array, A = Action> {
  abstract readonly actionSpace: ActionSpace;
  abstract readonly observationSpace: Box;
  abstract readonly spec: EnvSpec | null;
  abstract reset(args?: ResetArgs): [O, Info];
  abstract step(action: A): StepResult<O>;
  abstract render(): RgbFrame;
  close(): void {}
  /** The innermost environment, below every wrapper. */
  abstract get unwrapped(): KernelEnv;
  toString(): string {
    return `<${this.constructor.name}${this.spec ? ` ${this.spec.id}` : ""}>`;
  }
}

/** Serializable state of a `KernelEnv`: enough to continue exactly (checkpoints, replay). */
export interface KernelEnvState {
  state: number[];
  rng: PCG64State;
  phase: "needs-reset" | "running" | "ended";
}

/** The raw environment (Gymnasium's `CartPoleEnv` etc.): a kernel with one state and one generator. */
export class KernelEnv extends Env<Float32Array, Action> {
  readonly actionSpace: ActionSpace;
  readonly observationSpace: Box;
  readonly state: Float64Array;
  /** `np_random`: the env's generator; seeded by `reset({seed})`, continued by later resets. */
  readonly npRandom = new PCG64Bank(1);
  private rngSeeded = false;
  private phase: KernelEnvState["phase"] = "needs-reset";
  private readonly action1 = new Float64Array(1);

  constructor(
    readonly kernel: EnvKernel,
    readonly spec: EnvSpec | null = null,
  ) {
    super();
    this.actionSpace = kernel.actionSpace;
    this.observationSpace = kernel.observationSpace;
    this.state = new Float64Array(kernel.stateSize);
  }

  get unwrapped(): KernelEnv {
    return this;
  }

  private get label(): string {
    return this.spec?.id ?? this.kernel.name;
  }

  reset(args: ResetArgs = {}): [Float32Array, Info] {
    const parsed = this.kernel.parseResetOptions(args.options);
    if (args.seed !== undefined) {
      assertValidSeed(args.seed, `${this.label}.reset: seed`);
      this.npRandom.seed(0, args.seed);
      this.rngSeeded = true;
    } else if (!this.rngSeeded) {
      this.npRandom.seed(0);
      this.rngSeeded = true;
    }
    this.kernel.reset(this.state, 1, 0, this.npRandom, parsed);
    this.phase = "running";
    return [this.observe(), {}];
  }

  step(action: Action): StepResult {
    if (this.phase === "needs-reset") throw new Error(`${this.label}: step() called before reset(); call env.reset() first`);
    if (this.phase === "ended") {
      throw new Error(`${this.label}: step() called after the episode terminated; call env.reset() to start a new episode`);
    }
    const actions = this.checkAction(action);
    const reward = this.kernel.step(this.state, 1, 0, actions, 0);
    const terminated = this.kernel.terminal(this.state, 1, 0);
    if (terminated) this.phase = "ended";
    return [this.observe(), reward, terminated, false, {}];
  }

  /** Marks the episode as over without termination (TimeLimit's truncation). */
  endEpisode(): void {
    if (this.phase === "running") this.phase = "ended";
  }

  render(): RgbFrame {
    if (this.phase === "needs-reset") throw new Error(`${this.label}: render() called before reset(); call env.reset() first`);
    const { width, height } = this.kernel.renderSize;
    const frame = { width, height, data: new Uint8Array(width * height * 3) };
    this.kernel.render(this.state, 1, 0, frame);
    return frame;
  }

  getState(): KernelEnvState {
    return { state: Array.from(this.state), rng: this.npRandom.getState(0), phase: this.phase };
  }

  setState(s: KernelEnvState): void {
    if (!s || !Array.isArray(s.state) || s.state.length !== this.state.length) {
      throw new TypeError(`${this.label}: state must have ${this.state.length} numbers`);
    }
    this.state.set(s.state);
    this.npRandom.setState(0, s.rng);
    this.rngSeeded = true;
    this.phase = s.phase;
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
    const size = space.size;
    if (typeof action === "number" || !(ArrayBuffer.isView(action) || Array.isArray(action)) || action.length !== size) {
      throw new TypeError(
        `${this.label}: invalid action ${describe(action)}; the action space is ${space}, so pass an array of ${size} number${size > 1 ? "s" : ""}, e.g. [${Array.from(space.low).join(", ")}]`,
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

function describe(x: unknown): string {
  if (ArrayBuffer.isView(x)) return `${x.constructor.name}[${Array.from(x as unknown as ArrayLike<number>).join(", ")}]`;
  if (Array.isArray(x)) return `[${x.map(String).join(", ")}]`;
  return typeof x === "string" ? JSON.stringify(x) : String(x);
}

/** Base for wrappers: forwards everything to the wrapped env. */
export class Wrapper<O = Float32Array, A = Action, IO = Float32Array, IA = Action> extends Env<O, A> {
  constructor(readonly env: Env<IO, IA>) {
    super();
  }
  get actionSpace(): ActionSpace {
    return this.env.actionSpace;
  }
  get observationSpace(): Box {
    return this.env.observationSpace;
  }
  get spec(): EnvSpec | null {
    return this.env.spec;
  }
  get unwrapped(): KernelEnv {
    return this.env.unwrapped;
  }
  reset(args?: ResetArgs): [O, Info] {
    return this.env.reset(args) as unknown as [O, Info];
  }
  step(action: A): StepResult<O> {
    return this.env.step(action as unknown as IA) as unknown as StepResult<O>;
  }
  render(): RgbFrame {
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

  getState(): { elapsedSteps: number } {
    return { elapsedSteps: this.elapsed };
  }

  setState(state: { elapsedSteps: number }): void {
    if (!Number.isSafeInteger(state?.elapsedSteps) || state.elapsedSteps < 0) {
      throw new TypeError(`TimeLimit state needs a non-negative integer elapsedSteps, got ${String(state?.elapsedSteps)}`);
    }
    this.elapsed = state.elapsedSteps;
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
      this.unwrapped.endEpisode();
    }
    return result;
  }
}
