/**
 * Gymnasium's `MujocoEnv` over MuJoCo's own WebAssembly build (`mujoco-js`, MuJoCo 3.3.8 — not
 * the native MuJoCo Gymnasium runs, so trajectories agree in their rules, not bit for bit):
 * the model compiled from an MJCF string, `init_qpos`/`init_qvel` from the compiled model,
 * `do_simulation` = ctrl ← action, `frameSkip` × `mj_step`, then `mj_rnePostConstraint`;
 * `reset` = `mj_resetData` then the env's `resetModel`; `set_state` = qpos, qvel, `mj_forward`.
 */
import type { MainModule, MjData, MjModel } from "mujoco-js";
import { Env, type Info, type ResetArgs, type StepResult } from "../env.js";
import { Box } from "../spaces.js";

let modulePromise: Promise<MainModule> | null = null;

/** Loads (once) MuJoCo's WebAssembly module; call before building MuJoCo envs. */
export function loadMujoco(): Promise<MainModule> {
  modulePromise ??= import("mujoco-js").then((m) => m.default());
  return modulePromise;
}

/** A model MuJoCo refused: names the file and MuJoCo's error kind. */
export class MujocoModelError extends Error {
  override name = "MujocoModelError";
}

let fileCounter = 0;

/** Compiles an MJCF string (written to MuJoCo's in-memory file system as `fileName`). */
export function compileModel(mujoco: MainModule, fileName: string, xml: string): MjModel {
  const fs = (mujoco as unknown as { FS: { mkdir(p: string): void; writeFile(p: string, d: string): void; unlink(p: string): void; analyzePath(p: string): { exists: boolean } } }).FS;
  if (!fs.analyzePath("/tsrl").exists) fs.mkdir("/tsrl");
  const path = `/tsrl/${fileCounter++}-${fileName.replace(/[^A-Za-z0-9_.-]/g, "_")}`;
  fs.writeFile(path, xml);
  try {
    return mujoco.MjModel.loadFromXML(path);
  } catch (err) {
    // the bindings pass MuJoCo's exception type (mjXError: XML, mjCError: compiler) but not its text
    const kind = (err as { name?: string }).name ?? String(err);
    throw new MujocoModelError(`MuJoCo could not load the model ${fileName}: ${kind}${kind === "mjXError" ? " (the XML does not parse or breaks MJCF's schema)" : kind === "mjCError" ? " (the model does not compile: a name, reference or value is wrong)" : ""}; check the file against MuJoCo's MJCF reference`);
  } finally {
    fs.unlink(path);
  }
}

export interface MujocoState {
  qpos: number[];
  qvel: number[];
  act: number[];
  ctrl: number[];
  qaccWarmstart: number[];
  time: number;
}

export abstract class MujocoEnv extends Env<Float64Array, Float32Array> {
  readonly model: MjModel;
  readonly data: MjData;
  readonly frameSkip: number;
  readonly initQpos: Float64Array;
  readonly initQvel: Float64Array;
  readonly actionSpace: Box;

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

  protected abstract resetModel(): Float64Array;

  override reset(args: ResetArgs = {}): [Float64Array, Info] {
    super.reset(args);
    this.mujoco.mj_resetData(this.model, this.data);
    return [this.resetModel(), {}];
  }

  abstract override step(action: Float32Array): StepResult<Float64Array>;

  override getState(): MujocoState {
    const d = this.data;
    const list = (v: unknown) => Array.from(v as Float64Array);
    return { qpos: list(d.qpos), qvel: list(d.qvel), act: list(d.act), ctrl: list(d.ctrl), qaccWarmstart: list(d.qacc_warmstart), time: d.time };
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
  }

  override close(): void {
    this.data.delete();
    this.model.delete();
  }
}
