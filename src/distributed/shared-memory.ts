/**
 * Actors and a learner in one process (`tsrl train ppo|dqn|sac --actors N`, no Redis): actor threads
 * write segments straight into SharedArrayBuffer slots and the learner reads the same memory —
 * nothing is serialized or copied on the way, only `copyColumns` into the learner's batch.
 *
 * - Segments: each actor owns a ring of `slots` segment slots (single producer, single consumer).
 *   A slot's state word says EMPTY (the actor may fill it), FULL (the learner may take it) or HELD
 *   (taken); the actor fills slots in ring order, the learner takes them in the same order and
 *   empties a slot after the update that trained on it. A full ring pauses its actor: flow control that bounds
 *   the policy lag, as the Redis path's `maxQueued`.
 * - Parameters: the learner writes each version's float32 parameters into one shared buffer under
 *   a sequence lock (odd while writing); an actor copies them into its networks and copies again
 *   if the lock moved meanwhile.
 * - Waiting: actors block on Atomics.wait (worker threads may); the learner, on the main thread,
 *   on Atomics.waitAsync, so the process' event loop (thread errors, signals) keeps running.
 */
import { type Segment, type SegmentField, type SegmentShape, columnFields, emptyArrays, isFloat32Field, rowFields } from "../algos/acting.js";
import { ConfigError } from "../algos/common.js";
import type { Parameterized } from "../nn/network.js";
import type { Incoming, LearnerTransport } from "./learner.js";
import type { ActorSummary } from "./actor.js";
import { type ActingSpec, type DistributedAgent, actingModules, actingSpec, seededActorWorker, segmentShape } from "./algos.js";

const EMPTY = 0;
const FULL = 1;
/** handed to the learner, not yet finished with */
const HELD = 2;
/** per slot, in the ring's header: its state, the segment's sequence number, its episode count */
const SLOT_STATE = 0, SLOT_SEQ = 1, SLOT_EPISODES = 2, SLOT_WORDS = 3;
/** the control words: parameters' sequence lock and version; the learner done; segments filled (all actors) */
const CTRL_LOCK = 0, CTRL_VERSION = 1, CTRL_DONE = 2, CTRL_FILLED = 3, CTRL_WORDS = 4;

/** Atomics.waitAsync (ES2024; Node ≥ 16), absent from this project's ES2022 lib types. */
type WaitAsync = (typed: Int32Array, index: number, value: number, timeoutMs: number) => { async: false; value: "not-equal" | "timed-out" } | { async: true; value: Promise<"ok" | "timed-out"> };
const atomicsWaitAsync = (): WaitAsync | undefined => (Atomics as unknown as { waitAsync?: WaitAsync }).waitAsync;

/** Everything an actor thread needs, all of it structured-cloneable (the buffers are shared, not copied). */
export interface SharedActorInit {
  index: number;
  spec: ActingSpec;
  numEnvs: number;
  sync: boolean;
  control: Int32Array;
  /** every parameter of the acting networks, float32, in `actingModules` order (the actor's networks are the learner's shapes) */
  parameters: Float32Array;
  ring: SharedArrayBuffer;
  slots: number;
}

/** Refused with what to do where SharedArrayBuffer is off (a browser page without cross-origin isolation, a runtime flag). */
export function requireSharedMemory(): void {
  if (typeof SharedArrayBuffer !== "function" || typeof Atomics !== "object" || typeof atomicsWaitAsync() !== "function") {
    throw new ConfigError("--actors N without --redis: actor threads share segments through SharedArrayBuffer and Atomics.waitAsync, which this runtime does not provide (Node ≥ 16 does; in a browser the page must be cross-origin isolated); use Node 20, or --redis with `tsrl actor` processes");
  }
}

/** A slot's arrays in layout order (float64 ones first, 8-byte aligned, then float32), with their lengths; `episodes` holds (t, env, return, length) records. */
function slotLayout(s: Required<SegmentShape>): [SegmentField | "episodes", number][] {
  const N = s.numEnvs, rows = N * s.numSteps;
  const fields: [SegmentField | "episodes", number][] = [
    ...rowFields(s.kind, s.obsSize, s.actionDim).map(([f, w]) => [f, rows * w] as [SegmentField, number]),
    ...columnFields(s.kind, s.obsSize).map(([f, w]) => [f, N * w] as [SegmentField, number]),
    ...(s.kind === "transitions" ? [["finalObs", rows * s.obsSize] as [SegmentField, number]] : []),
  ];
  const f32 = (f: SegmentField | "episodes") => f !== "episodes" && isFloat32Field(f);
  return [...fields.filter(([f]) => !f32(f)), ["episodes", 4 * rows], ...fields.filter(([f]) => f32(f))];
}

/** Bytes of one slot's data, rounded up to 8. */
function slotBytes(s: Required<SegmentShape>): number {
  const bytes = slotLayout(s).reduce((n, [f, length]) => n + (f !== "episodes" && isFloat32Field(f) ? 4 : 8) * length, 0);
  return Math.ceil(bytes / 8) * 8;
}

/** A ring's slot `k` as a Segment of views on the shared memory, and its episode records (t, env, return, length). */
function slotViews(ring: SharedArrayBuffer, slots: number, k: number, shape: Required<SegmentShape>, actor: string): { segment: Segment; episodes: Float64Array } {
  let at = Math.ceil((slots * SLOT_WORDS * 4) / 8) * 8 + k * slotBytes(shape);
  const segment: Segment = { ...shape, actor, seq: 0, episodes: [], ...emptyArrays() };
  const arrays = segment as unknown as Record<SegmentField, Float32Array | Float64Array>;
  let episodes: Float64Array = new Float64Array(0);
  for (const [field, length] of slotLayout(shape)) {
    if (field === "episodes") episodes = new Float64Array(ring, at, length);
    else arrays[field] = isFloat32Field(field) ? new Float32Array(ring, at, length) : new Float64Array(ring, at, length);
    at += (field !== "episodes" && isFloat32Field(field) ? 4 : 8) * length;
  }
  return { segment, episodes };
}

function ringBytes(shape: Required<SegmentShape>, slots: number): number {
  return Math.ceil((slots * SLOT_WORDS * 4) / 8) * 8 + slots * slotBytes(shape);
}

/** The networks' parameter values as float32 views, in a fixed order (views of wasm memory are taken afresh: it may grow). */
function parameterViews(modules: Record<string, Parameterized>): Float32Array[] {
  return Object.values(modules).flatMap((m) => m.params.map((p) => m.backend.view32(p.value, p.size)));
}

export const threadActorName = (index: number) => `${index}@thread`;

/**
 * The learner's side: `actors` rings of `slots` slots, each slot a segment of `numEnvs` env columns,
 * and the parameter buffer. `actorInit(k)` is what actor thread k is started with.
 */
export class SharedMemoryTransport implements LearnerTransport {
  readonly skipped = 0;
  readonly control: Int32Array;
  readonly parameters: Float32Array;
  private readonly rings: { buffer: SharedArrayBuffer; state: Int32Array; views: { segment: Segment; episodes: Float64Array }[]; read: number }[] = [];
  /** the ring read next: actors take turns */
  private turn = 0;

  /** `spec`: what actors make (default: the algorithm's, as `actingSpec`) */
  constructor(
    agent: DistributedAgent,
    private readonly actors: number,
    private readonly numEnvs: number,
    private readonly sync: boolean,
    private readonly slots = 2,
    private readonly spec: ActingSpec = actingSpec(agent, { sync }),
  ) {
    requireSharedMemory();
    const { kind, numSteps, obsSize, actionDim } = segmentShape(agent, spec);
    const shape = { kind, numEnvs, numSteps, obsSize, actionDim };
    this.control = new Int32Array(new SharedArrayBuffer(CTRL_WORDS * 4));
    const size = parameterViews(actingModules(agent)).reduce((n, v) => n + v.length, 0);
    this.parameters = new Float32Array(new SharedArrayBuffer(size * 4));
    for (let a = 0; a < actors; a++) {
      const buffer = new SharedArrayBuffer(ringBytes(shape, slots));
      const views = Array.from({ length: slots }, (_, k) => slotViews(buffer, slots, k, shape, threadActorName(a)));
      this.rings.push({ buffer, state: new Int32Array(buffer, 0, slots * SLOT_WORDS), views, read: 0 });
    }
  }

  actorInit(index: number): SharedActorInit {
    return { index, spec: this.spec, numEnvs: this.numEnvs, sync: this.sync, control: this.control, parameters: this.parameters, ring: this.rings[index]!.buffer, slots: this.slots };
  }

  async start(): Promise<void> {}

  async publish(agent: DistributedAgent): Promise<void> {
    const c = this.control;
    Atomics.add(c, CTRL_LOCK, 1);
    let at = 0;
    for (const view of parameterViews(actingModules(agent))) {
      this.parameters.set(view, at);
      at += view.length;
    }
    Atomics.store(c, CTRL_VERSION, agent.version);
    Atomics.add(c, CTRL_LOCK, 1);
    Atomics.notify(c, CTRL_VERSION);
    Atomics.notify(c, CTRL_LOCK);
  }

  async next(_version: number, signal?: AbortSignal): Promise<Incoming | null> {
    // read before looking: a segment filled after the look changes it, and the wait returns at once
    const filled = Atomics.load(this.control, CTRL_FILLED);
    for (let k = 0; k < this.actors; k++) {
      const a = (this.turn + k) % this.actors;
      const ring = this.rings[a]!;
      const slot = ring.read;
      if (Atomics.load(ring.state, slot * SLOT_WORDS + SLOT_STATE) !== FULL) continue;
      Atomics.store(ring.state, slot * SLOT_WORDS + SLOT_STATE, HELD);
      ring.read = (slot + 1) % this.slots;
      this.turn = (a + 1) % this.actors;
      const { segment, episodes } = ring.views[slot]!;
      segment.seq = ring.state[slot * SLOT_WORDS + SLOT_SEQ]!;
      segment.episodes = [];
      const count = ring.state[slot * SLOT_WORDS + SLOT_EPISODES]!;
      for (let e = 0; e < count; e++) segment.episodes.push({ t: episodes[4 * e]!, env: episodes[4 * e + 1]!, return: episodes[4 * e + 2]!, length: episodes[4 * e + 3]! });
      return { id: `${a}:${slot}`, segment, reclaimed: false };
    }
    const wait = atomicsWaitAsync()!(this.control, CTRL_FILLED, filled, 1000);
    if (wait.async) {
      let onAbort = () => {};
      await Promise.race([wait.value, new Promise<void>((resolve) => signal?.addEventListener("abort", (onAbort = () => resolve()), { once: true }))]);
      signal?.removeEventListener("abort", onAbort);
    }
    return null;
  }

  async finish(items: Incoming[]): Promise<void> {
    for (const { id } of items) {
      const [a, slot] = id.split(":").map(Number) as [number, number];
      const state = this.rings[a]!.state;
      Atomics.store(state, slot * SLOT_WORDS + SLOT_STATE, EMPTY);
      Atomics.notify(state, slot * SLOT_WORDS + SLOT_STATE);
    }
  }

  async end(): Promise<void> {
    this.stop();
  }

  /** tells every actor to stop, waking the waiting ones */
  stop(): void {
    Atomics.store(this.control, CTRL_DONE, 1);
    Atomics.notify(this.control, CTRL_VERSION);
    Atomics.notify(this.control, CTRL_LOCK);
    for (const ring of this.rings) for (let k = 0; k < this.slots; k++) Atomics.notify(ring.state, k * SLOT_WORDS + SLOT_STATE);
  }
}

/**
 * Copies the newest published parameters into `modules` if their version is newer than `version`
 * (the one in use); returns the version the networks now hold, −1 if none is published yet.
 */
export function takeParameters(init: Pick<SharedActorInit, "control" | "parameters">, modules: Record<string, Parameterized>, version: number): number {
  const { control, parameters } = init;
  for (;;) {
    const lock = Atomics.load(control, CTRL_LOCK);
    if (lock === 0) return -1;
    if (lock % 2 === 1) continue; // being written: a few microseconds
    const latest = Atomics.load(control, CTRL_VERSION);
    if (latest <= version) return version;
    // straight into the networks: a copy torn by a write in between is redone
    let at = 0;
    for (const view of parameterViews(modules)) {
      view.set(parameters.subarray(at, at + view.length));
      at += view.length;
    }
    if (Atomics.load(control, CTRL_LOCK) === lock) return latest;
  }
}

/**
 * An actor thread's loop (blocking: run it in a worker thread): actor `index` seeded as a Redis
 * actor of that index is, acting with the newest parameters before each segment (`sync`: once per
 * version), until the learner is done or after `maxSegments`.
 */
export function runSharedActor(init: SharedActorInit, maxSegments = Infinity): ActorSummary {
  const { control, slots } = init;
  const worker = seededActorWorker(init.spec, init.index, init.numEnvs);
  const modules = worker.modules;
  const shape = { kind: init.spec.kind, numEnvs: init.numEnvs, numSteps: init.spec.numSteps, obsSize: worker.obsSize, actionDim: worker.actionDim };
  const name = threadActorName(init.index);
  const state = new Int32Array(init.ring, 0, slots * SLOT_WORDS);
  const views = Array.from({ length: slots }, (_, k) => slotViews(init.ring, slots, k, shape, name));
  let version = -1;
  const refresh = (): boolean => {
    version = takeParameters(init, modules, version);
    return version >= 0;
  };
  let segments = 0, slot = 0;
  while (segments < maxSegments && Atomics.load(control, CTRL_DONE) === 0) {
    const before = version;
    if (!refresh()) {
      Atomics.wait(control, CTRL_LOCK, 0, 1000);
      continue;
    }
    if (init.sync && version === before && segments > 0) {
      // synchronous runs act once per version
      Atomics.wait(control, CTRL_VERSION, version, 1000);
      continue;
    }
    const at = slot * SLOT_WORDS;
    const slotState = Atomics.load(state, at + SLOT_STATE);
    if (slotState !== EMPTY) {
      // the learner is behind: acting now would only make stale data
      Atomics.wait(state, at + SLOT_STATE, slotState, 1000);
      continue;
    }
    const { segment, episodes } = views[slot]!;
    worker.collect(segment, version);
    const count = segment.episodes.length;
    for (let e = 0; e < count; e++) {
      const { t, env, return: ret, length } = segment.episodes[e]!;
      episodes[4 * e] = t;
      episodes[4 * e + 1] = env;
      episodes[4 * e + 2] = ret;
      episodes[4 * e + 3] = length;
    }
    state[at + SLOT_SEQ] = segments;
    state[at + SLOT_EPISODES] = count;
    Atomics.store(state, at + SLOT_STATE, FULL);
    Atomics.add(control, CTRL_FILLED, 1);
    Atomics.notify(control, CTRL_FILLED);
    slot = (slot + 1) % slots;
    segments++;
  }
  return { actor: name, index: init.index, segments, steps: segments * init.numEnvs * init.spec.numSteps };
}
