/**
 * Gymnasium's `MujocoEnv` over MuJoCo's own WebAssembly build (`mujoco-js`, MuJoCo 3.3.8 — not
 * the native MuJoCo Gymnasium runs, so trajectories agree in their rules, not bit for bit):
 * the model compiled from an MJCF string, `init_qpos`/`init_qvel` from the compiled model,
 * `do_simulation` = ctrl ← action, `frameSkip` × `mj_step`, then `mj_rnePostConstraint`;
 * `reset` = `mj_resetData` then the env's `resetModel` (info from `resetInfo`, Gymnasium's
 * `_get_reset_info`); `set_state` = qpos, qvel, `mj_forward`. `PlanarRunnerEnv` is the shared part
 * of Hopper, Walker2d and HalfCheetah.
 */
import type { MainModule, MjData, MjModel } from "mujoco-js";
import { Env, type Info, type ResetArgs, type RgbFrame, type StepResult } from "../env.js";
import { Box } from "../spaces.js";
import { type MujocoCamera, renderProjection } from "./render.js";

let modulePromise: Promise<MainModule> | null = null;

/** Loads (once) MuJoCo's WebAssembly module; call before building MuJoCo envs. */
export function loadMujoco(): Promise<MainModule> {
  modulePromise ??= import("mujoco-js").then((m) => m.default());
  return modulePromise;
}

/** A model MuJoCo refused: names the file and gives MuJoCo's message. */
export class MujocoModelError extends Error {
  override name = "MujocoModelError";
}

let fileCounter = 0;

/**
 * MuJoCo's own text of a caught mjXError / mjCError: the bindings pass only the C++ type, but both
 * types begin with their `char message[500]`, read here from WebAssembly memory (reached through a
 * typed-array view of a throwaway model, as the module exports no heap). Null when it is not there.
 */
function exceptionText(mujoco: MainModule, err: unknown): string | null {
  const ptr = (err as { excPtr?: unknown }).excPtr;
  if (typeof ptr !== "number") return null;
  const path = "/tsrl/empty.xml";
  const fs = (mujoco as unknown as { FS: { writeFile(p: string, d: string): void } }).FS;
  fs.writeFile(path, "<mujoco/>");
  const probe = mujoco.MjModel.loadFromXML(path);
  try {
    const heap = new Uint8Array((probe.opt.gravity as Float64Array).buffer);
    let end = ptr;
    while (end < ptr + 500 && end < heap.length && heap[end] !== 0) end++;
    const text = new TextDecoder().decode(heap.subarray(ptr, end)).trim();
    return /^(XML )?Error/.test(text) ? text.replace(/\s*\n\s*/g, "; ") : null;
  } finally {
    probe.delete();
    (mujoco as unknown as { decrementExceptionRefcount?(e: unknown): void }).decrementExceptionRefcount?.(err);
  }
}

/** Compiles an MJCF string (written to MuJoCo's in-memory file system as `fileName`). */
export function compileModel(mujoco: MainModule, fileName: string, xml: string): MjModel {
  const fs = (mujoco as unknown as { FS: { mkdir(p: string): void; writeFile(p: string, d: string): void; unlink(p: string): void; analyzePath(p: string): { exists: boolean } } }).FS;
  if (!fs.analyzePath("/tsrl").exists) fs.mkdir("/tsrl");
  const path = `/tsrl/${fileCounter++}-${fileName.replace(/[^A-Za-z0-9_.-]/g, "_")}`;
  fs.writeFile(path, xml);
  let model: MjModel | null;
  try {
    model = mujoco.MjModel.loadFromXML(path);
  } catch (err) {
    const kind = (err as { name?: string }).name ?? String(err);
    const text = exceptionText(mujoco, err);
    const what = kind === "mjXError" ? "the XML breaks MJCF's schema" : kind === "mjCError" ? "the model does not compile" : kind;
    throw new MujocoModelError(`MuJoCo could not load the model ${fileName} (${kind}: ${what}): ${text ?? "MuJoCo gave no message"}; check the file against MuJoCo's MJCF reference`);
  } finally {
    fs.unlink(path);
  }
  // a file that is not well-formed XML is not thrown: MuJoCo prints the parser's message to stderr and returns null
  if (!model) throw new MujocoModelError(`MuJoCo could not load the model ${fileName}: it is not well-formed XML (MuJoCo printed the XML parser's message, with its line, on stderr)`);
  return model;
}

/**
 * An env's options from `make(id, kwargs)`: Gymnasium's snake_case names (`ctrl_cost_weight`) or
 * camelCase (`ctrlCostWeight`); a key the env does not know throws, naming the ones it does.
 */
export function mujocoOptions<T extends object>(env: string, kwargs: Record<string, unknown>, known: readonly string[]): T {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(kwargs)) {
    const name = key.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());
    if (!known.includes(name)) throw new RangeError(`${env}: unknown option ${JSON.stringify(key)}; its options are ${known.join(", ")}`);
    if (value !== undefined) out[name] = value;
  }
  return out as T;
}

export interface MujocoState {
  qpos: number[];
  qvel: number[];
  act: number[];
  ctrl: number[];
  qaccWarmstart: number[];
  time: number;
  /**
   * body positions as the last `mj_step` left them (from its last substep's kinematics, not the
   * current qpos): Ant's reward reads them before the next step, so resume restores them; leave it
   * out when setting a new qpos (then they are computed from it)
   */
  xpos?: number[];
}

export abstract class MujocoEnv extends Env<Float64Array, Float32Array> {
  readonly model: MjModel;
  readonly data: MjData;
  readonly frameSkip: number;
  readonly initQpos: Float64Array;
  readonly initQvel: Float64Array;
  readonly actionSpace: Box;
  /** how `render()` projects the model (each env frames its own) */
  protected camera: MujocoCamera = { view: "side", scale: 150, center: [0, 0.5] };

  constructor(
    protected readonly mujoco: MainModule,
    fileName: string,
    xml: string,
    frameSkip: number,
  ) {
    super();
    this.model = compileModel(mujoco, fileName, xml);
    this.data = new mujoco.MjData(this.model);
    this.frameSkip = frameSkip;
    this.initQpos = Float64Array.from(this.data.qpos as Float64Array);
    this.initQvel = Float64Array.from(this.data.qvel as Float64Array);
    const range = this.model.actuator_ctrlrange as Float64Array;
    const nu = this.model.nu;
    this.actionSpace = new Box(
      Float32Array.from({ length: nu }, (_, i) => range[2 * i]!),
      Float32Array.from({ length: nu }, (_, i) => range[2 * i + 1]!),
      [nu],
      "float32",
    );
    this.metadata = { renderModes: ["rgb_array"], renderFps: Math.round(1 / this.dt) };
  }

  /** seconds per env step: the model's timestep × frameSkip */
  get dt(): number {
    return this.model.opt.timestep * this.frameSkip;
  }

  /** Gymnasium's `do_simulation`. */
  protected doSimulation(action: ArrayLike<number>): void {
    const nu = this.model.nu;
    if (action.length !== nu) throw new RangeError(`${this.constructor.name}: action has ${action.length} values, the model has ${nu} actuators`);
    (this.data.ctrl as Float64Array).set(action);
    for (let i = 0; i < this.frameSkip; i++) this.mujoco.mj_step(this.model, this.data);
    this.mujoco.mj_rnePostConstraint(this.model, this.data);
  }

  /** Gymnasium's `set_state`: qpos and qvel, then `mj_forward`. */
  protected setQ(qpos: ArrayLike<number>, qvel: ArrayLike<number>): void {
    (this.data.qpos as Float64Array).set(qpos);
    (this.data.qvel as Float64Array).set(qvel);
    this.mujoco.mj_forward(this.model, this.data);
  }

  /** `base` + U(−scale, scale) per entry, drawn in order (numpy's `np_random.uniform(size=n)`). */
  protected uniformNoise(base: Float64Array, scale: number): Float64Array {
    return base.map((q) => q + this.npRandom.uniform(-scale, scale));
  }

  /** `base` + scale · N(0, 1) per entry (numpy's `np_random.standard_normal(n)`). */
  protected normalNoise(base: Float64Array, scale: number): Float64Array {
    return base.map((q) => q + scale * this.npRandom.standardNormal());
  }

  /** A body's id (for `data.xpos`, Gymnasium's `data.body(name)`); a missing body names the model's. */
  protected bodyId(name: string): number {
    const id = this.mujoco.mj_name2id(this.model, 1 /* mjOBJ_BODY */, name);
    if (id < 0) throw new RangeError(`${this.constructor.name}: the model has no body named ${JSON.stringify(name)}`);
    return id;
  }

  protected abstract resetModel(): Float64Array;

  /** Gymnasium's `_get_reset_info`: the info `reset` returns. */
  protected resetInfo(): Info {
    return {};
  }

  override reset(args: ResetArgs = {}): [Float64Array, Info] {
    super.reset(args);
    this.mujoco.mj_resetData(this.model, this.data);
    const obs = this.resetModel();
    return [obs, this.resetInfo()];
  }

  abstract override step(action: Float32Array): StepResult<Float64Array>;

  /** A 480×480 orthographic projection of the geoms (see render.ts), not MuJoCo's OpenGL renderer. */
  override render(): RgbFrame {
    return renderProjection(this.model, this.data, this.camera);
  }

  override getState(): MujocoState {
    const d = this.data;
    const list = (v: unknown) => Array.from(v as Float64Array);
    return { qpos: list(d.qpos), qvel: list(d.qvel), act: list(d.act), ctrl: list(d.ctrl), qaccWarmstart: list(d.qacc_warmstart), time: d.time, xpos: list(d.xpos) };
  }

  override setState(state: unknown): void {
    const s = state as MujocoState;
    const d = this.data;
    (d.qpos as Float64Array).set(s.qpos);
    (d.qvel as Float64Array).set(s.qvel);
    (d.act as Float64Array).set(s.act);
    (d.ctrl as Float64Array).set(s.ctrl);
    (d.qacc_warmstart as Float64Array).set(s.qaccWarmstart);
    d.time = s.time;
    this.mujoco.mj_forward(this.model, d);
    if (s.xpos) (d.xpos as Float64Array).set(s.xpos);
  }

  override close(): void {
    this.data.delete();
    this.model.delete();
  }
}

/** Options shared by Gymnasium's planar runners (Hopper, Walker2d, HalfCheetah v5). */
export interface PlanarRunnerOptions {
  /** an MJCF string replacing Gymnasium's model file (Gymnasium's `xml_file`) */
  xml?: string;
  frameSkip?: number;
  forwardRewardWeight?: number;
  ctrlCostWeight?: number;
  resetNoiseScale?: number;
  /** leave qpos[0] (the x position) out of the observation; default true */
  excludeCurrentPositionsFromObservation?: boolean;
}

export const PLANAR_RUNNER_OPTIONS = ["xml", "frameSkip", "forwardRewardWeight", "ctrlCostWeight", "resetNoiseScale", "excludeCurrentPositionsFromObservation"] as const;

/** How a runner that can fall is rewarded for staying up, and whether falling ends the episode. */
export interface HealthOptions {
  healthyReward?: number;
  terminateWhenUnhealthy?: boolean;
}

function sumOfSquares(a: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * a[i]!;
  return s;
}

/**
 * Gymnasium's planar runners: x_velocity = (qpos[0] after − before) / dt over the step; reward
 * forward_reward_weight · x_velocity (+ healthy_reward while healthy) − ctrl_cost_weight · Σ action²,
 * in Gymnasium's order; observation qpos (without qpos[0] by default) ⊕ qvel, the velocities clipped
 * to ±`velocityClip`; `info` x_position, z_distance_from_origin (runners with health), x_velocity,
 * reward_forward, reward_ctrl, reward_survive (runners with health).
 */
export abstract class PlanarRunnerEnv extends MujocoEnv {
  readonly observationSpace: Box;
  protected readonly forwardRewardWeight: number;
  protected readonly ctrlCostWeight: number;
  protected readonly resetNoiseScale: number;
  protected readonly skippedQpos: number;
  private readonly health: Required<HealthOptions> | null;

  constructor(
    mujoco: MainModule,
    fileName: string,
    xml: string,
    options: PlanarRunnerOptions & { frameSkip: number; ctrlCostWeight: number; resetNoiseScale: number },
    health: Required<HealthOptions> | null,
    /** |qvel| clip in the observation (Hopper, Walker2d: 10; HalfCheetah: none) */
    private readonly velocityClip: number,
    /** HalfCheetah draws qvel's reset noise from a normal, Hopper and Walker2d from a uniform */
    private readonly normalVelocityNoise: boolean,
  ) {
    super(mujoco, options.xml ? `custom ${fileName}` : fileName, options.xml ?? xml, options.frameSkip);
    this.forwardRewardWeight = options.forwardRewardWeight ?? 1;
    this.ctrlCostWeight = options.ctrlCostWeight;
    this.resetNoiseScale = options.resetNoiseScale;
    this.skippedQpos = (options.excludeCurrentPositionsFromObservation ?? true) ? 1 : 0;
    this.health = health;
    this.observationSpace = new Box(-Infinity, Infinity, [this.model.nq + this.model.nv - this.skippedQpos], "float64");
  }

  /** Gymnasium's `is_healthy` (runners without a health rule are always healthy). */
  get isHealthy(): boolean {
    return true;
  }

  step(action: Float32Array): StepResult<Float64Array> {
    const xBefore = (this.data.qpos as Float64Array)[0]!;
    this.doSimulation(action);
    const qpos = this.data.qpos as Float64Array;
    const xAfter = qpos[0]!;
    const xVelocity = (xAfter - xBefore) / this.dt;
    const obs = this.observation();
    const forward = this.forwardRewardWeight * xVelocity;
    const ctrlCost = this.ctrlCostWeight * sumOfSquares(action);
    const info: Info = { x_position: xAfter };
    if (!this.health) {
      Object.assign(info, { x_velocity: xVelocity, reward_forward: forward, reward_ctrl: -ctrlCost });
      return [obs, forward - ctrlCost, false, false, info];
    }
    const healthy = this.isHealthy;
    const survive = healthy ? this.health.healthyReward : 0;
    Object.assign(info, { z_distance_from_origin: qpos[1]! - this.initQpos[1]!, x_velocity: xVelocity, reward_forward: forward, reward_ctrl: -ctrlCost, reward_survive: survive });
    return [obs, forward + survive - ctrlCost, !healthy && this.health.terminateWhenUnhealthy, false, info];
  }

  protected resetModel(): Float64Array {
    const s = this.resetNoiseScale;
    const qpos = this.uniformNoise(this.initQpos, s);
    const qvel = this.normalVelocityNoise ? this.normalNoise(this.initQvel, s) : this.uniformNoise(this.initQvel, s);
    this.setQ(qpos, qvel);
    return this.observation();
  }

  protected override resetInfo(): Info {
    const qpos = this.data.qpos as Float64Array;
    return this.health ? { x_position: qpos[0]!, z_distance_from_origin: qpos[1]! - this.initQpos[1]! } : { x_position: qpos[0]! };
  }

  private observation(): Float64Array {
    const qpos = this.data.qpos as Float64Array, qvel = this.data.qvel as Float64Array;
    const skip = this.skippedQpos, np = qpos.length - skip, clip = this.velocityClip;
    const obs = new Float64Array(np + qvel.length);
    for (let i = 0; i < np; i++) obs[i] = qpos[skip + i]!;
    for (let i = 0; i < qvel.length; i++) obs[np + i] = Math.min(clip, Math.max(-clip, qvel[i]!));
    return obs;
  }
}
