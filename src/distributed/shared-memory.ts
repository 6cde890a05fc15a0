/**
 * Actors and a learner in one process (`tsrl train ppo --actors N`, no Redis): actor threads
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
import type { Segment, SegmentShape } from "../algos/acting.js";
import { ConfigError } from "../algos/common.js";
import { type PPO, type PPOConfig, ppoModules, resolvePPOConfig } from "../algos/ppo.js";
import type { Parameterized } from "../nn/network.js";
import type { Incoming, LearnerTransport } from "./learner.js";
import { type ActorSummary, seededActorWorker } from "./actor.js";

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
  config: PPOConfig;
  numEnvs: number;
  sync: boolean;
  control: Int32Array;
  /** every network parameter, float32, in `ppoModules` order (the actor's networks are the learner's shapes) */
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

/** Bytes of one slot's data: float64 arrays first (8-byte aligned), then float32 ones, rounded up to 8. */
function slotBytes(s: SegmentShape): number {
  const N = s.numEnvs, rows = N * s.numSteps;
  const f64 = N + rows * s.actionDim + 4 * rows + 2 * N + 4 * rows; // versions, actions, 4 per-row, nextDone/Values, episodes
  const f32 = rows * s.obsSize + N * s.obsSize;
  return Math.ceil((8 * f64 + 4 * f32) / 8) * 8;
}

/** A ring's slot `k` as a Segment of views on the shared memory, and its episode records (t, env, return, length). */
function slotViews(ring: SharedArrayBuffer, slots: number, k: number, shape: SegmentShape, actor: string): { segment: Segment; episodes: Float64Array } {
  const N = shape.numEnvs, rows = N * shape.numSteps, d = shape.obsSize;
  let at = Math.ceil((slots * SLOT_WORDS * 4) / 8) * 8 + k * slotBytes(shape);
  const f64 = (n: number) => {
    const a = new Float64Array(ring, at, n);
    at += 8 * n;
    return a;
  };
  const f32 = (n: number) => {
    const a = new Float32Array(ring, at, n);
    at += 4 * n;
    return a;
  };
  const segment: Segment = {
    ...shape,
    actor,
    seq: 0,
    versions: f64(N),
    actions: f64(rows * shape.actionDim),
    logProbs: f64(rows),
    values: f64(rows),
    rewards: f64(rows),
    dones: f64(rows),
    nextDone: f64(N),
    nextValues: f64(N),
    obs: new Float32Array(0),
    nextObs: new Float32Array(0),
    episodes: [],
  };
  const episodes = f64(4 * rows);
  segment.obs = f32(rows * d);
  segment.nextObs = f32(N * d);
  return { segment, episodes };
}

function ringBytes(shape: SegmentShape, slots: number): number {
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

  constructor(
    private readonly agent: PPO,
    private readonly actors: number,
    private readonly numEnvs: number,
    private readonly sync: boolean,
    private readonly slots = 2,
  ) {
    requireSharedMemory();
    const shape: SegmentShape = { numEnvs, numSteps: agent.config.numSteps, obsSize: agent.worker.obsSize, actionDim: agent.worker.actionDim };
    this.control = new Int32Array(new SharedArrayBuffer(CTRL_WORDS * 4));
    const size = parameterViews(ppoModules(agent.networks)).reduce((n, v) => n + v.length, 0);
    this.parameters = new Float32Array(new SharedArrayBuffer(size * 4));
    for (let a = 0; a < actors; a++) {
      const buffer = new SharedArrayBuffer(ringBytes(shape, slots));
      const views = Array.from({ length: slots }, (_, k) => slotViews(buffer, slots, k, shape, threadActorName(a)));
      this.rings.push({ buffer, state: new Int32Array(buffer, 0, slots * SLOT_WORDS), views, read: 0 });
    }
  }

  actorInit(index: number): SharedActorInit {
    return { index, config: this.agent.config, numEnvs: this.numEnvs, sync: this.sync, control: this.control, parameters: this.parameters, ring: this.rings[index]!.buffer, slots: this.slots };
  }

  async start(): Promise<void> {}

  async publish(agent: PPO): Promise<void> {
    const c = this.control;
    Atomics.add(c, CTRL_LOCK, 1);
    let at = 0;
    for (const view of parameterViews(ppoModules(agent.networks))) {
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
  const c = resolvePPOConfig(init.config);
  const worker = seededActorWorker(c, init.index, init.numEnvs);
  const modules = ppoModules(worker.nets);
  const shape: SegmentShape = { numEnvs: init.numEnvs, numSteps: c.numSteps, obsSize: worker.obsSize, actionDim: worker.actionDim };
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
  return { actor: name, index: init.index, segments, steps: segments * init.numEnvs * c.numSteps };
}
