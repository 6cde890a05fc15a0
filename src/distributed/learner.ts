/**
 * The learner of a distributed run (SRL's trainer; IMPALA's and Ape-X's learner): `learnFromActors`
 * trains on any transport's segments and publishes each new parameter version — PPO on batches of
 * `numEnvs` env columns, DQN and SAC by adding each segment's transitions to the replay buffer and
 * updating at the algorithm's own ratio per env step received. `learnDistributed` runs it over Redis: segments read from the run's stream
 * through a consumer group, parameters published with SET, then PUBLISH; actors anywhere
 * (`runActor`) join and leave at will. (Threads over shared memory: actor-threads.ts.)
 *
 * - Delivery: a segment is acknowledged (XACK, then XDEL) after the update that trained on it, so segments
 *   a killed learner had read come back to the next one (XAUTOCLAIM after `claimIdleMs`); stream
 *   ids already held are never taken twice, so each segment is trained on at most once.
 * - Staleness: `sync` runs train only on segments of the current version (actors wait for each
 *   new one), which with one actor of `numEnvs` envs is the single-process run exactly. Otherwise
 *   columns of older versions get V-trace (see PPO.update), and segments more than `maxPolicyLag`
 *   versions behind are dropped and counted. Actors pause while `maxQueued` segments wait.
 * - Malformed or foreign entries are logged, acknowledged and skipped (see codec.ts), and so is
 *   a second copy of an actor's segment (same actor and seq: an XADD resent after a reconnection).
 */
import { hostname } from "node:os";
import type { Redis } from "ioredis";
import { type Segment, type SegmentShape, allocateSegment, copyColumns, sortEpisodes } from "../algos/acting.js";
import { ConfigError, type TrainCallbacks, type TrainResult, now, trainResult } from "../algos/common.js";
import type { DQN } from "../algos/dqn.js";
import { PPO } from "../algos/ppo.js";
import { SAC } from "../algos/sac.js";
import { saveParameters } from "../nn/checkpoint.js";
import { type ActingSpec, type DistributedAgent, type DistributedAlgo, actingModules, actingSpec, algoOf, segmentShape } from "./algos.js";
import { DEFAULT_MAX_SEGMENT_BYTES, SegmentError, decodeSegment } from "./codec.js";
import { GROUP, type RunKeys, connect, runKeys } from "./redis.js";

export const RUN_FORMAT = "tsrl.distributed/1";

/** What actors read from `tsrl:<run>:run`. */
export interface RunDescription {
  format: typeof RUN_FORMAT;
  algo: DistributedAlgo;
  config: Record<string, unknown>;
  /** env steps per segment (PPO: its num-steps) */
  segmentSteps: number;
  sync: boolean;
  /** actors trim the stream to about this many segments (XADD MAXLEN ~): a safety bound, not flow control */
  maxStreamLength: number;
  /** flow control: actors wait while the stream holds this many segments not yet trained on */
  maxQueued: number;
}

export interface LearnerOptions {
  /** redis:// or rediss:// URL */
  redis: string;
  /** the run's name: its keys are tsrl:<run>:… */
  run: string;
  sync?: boolean;
  /** drop segments more than this many versions behind (default 8) */
  maxPolicyLag?: number;
  /** reclaim segments a consumer has held unacknowledged this long (default 30 s) */
  claimIdleMs?: number;
  maxStreamLength?: number;
  /** actors pause while this many segments wait in the stream (default 4): bounds the policy lag */
  maxQueued?: number;
  maxSegmentBytes?: number;
  /** this learner's consumer name in the group (default host-pid) */
  consumer?: string;
  /** a learner resumed by `tsrl resume` (which checked that the one before is gone): it takes that one's pending segments at once, not after `claimIdleMs` */
  resumed?: boolean;
  /** DQN, SAC: env steps per transition segment (default 32; 1 with `sync`) */
  segmentSteps?: number;
  /** aborting it ends the run with its reason (checked at least every second while waiting for segments) */
  signal?: AbortSignal;
  log?: (message: string) => void;
}

/** Counters of a distributed run, also reported as `distributed/*` metrics. */
export interface LearnerStats {
  segments: number;
  skipped: number;
  dropped: number;
  reclaimed: number;
  /** env steps trained on and first-seen time, per actor */
  actors: Map<string, { steps: number; since: number }>;
}

interface Held {
  item: Incoming;
  /** columns not yet put into a batch */
  next: number;
}

/** A segment a transport handed to the learner, held until `finish`. */
export interface Incoming {
  /** the transport's handle (a stream id, a ring slot) */
  id: string;
  segment: Segment;
  /** taken over from a learner that died holding it */
  reclaimed: boolean;
}

/**
 * Where a learner's segments come from and its parameters go (Redis Streams, shared memory).
 * Segments it hands over are checked and of the run's shape; ones it could not use it counts in
 * `skipped`.
 */
export interface LearnerTransport {
  readonly skipped: number;
  /** makes the run known to actors (its description); called once, before the first `publish` */
  start(agent: DistributedAgent): Promise<void>;
  /** the policy version of `agent`, for actors to act with */
  publish(agent: DistributedAgent): Promise<void>;
  /** the next segment not yet handed over, acted at `version` or before; null after waiting about a second for one */
  next(version: number, signal?: AbortSignal): Promise<Incoming | null>;
  /** segments trained on (after their update) or dropped: the transport lets them go */
  finish(items: Incoming[]): Promise<void>;
  /** training is over: actors stop */
  end(): Promise<void>;
}

/**
 * Trains `agent` on segments from Redis until its `totalTimesteps`; `callbacks` as `learn`'s.
 * Fresh runs (version 0) clear the run's stream first.
 */
export async function learnDistributed(agent: DistributedAgent, options: LearnerOptions, callbacks: TrainCallbacks = {}): Promise<{ result: TrainResult; stats: LearnerStats }> {
  const log = options.log ?? ((m: string) => console.error(m));
  assertDistributable(agent);
  const transport = new RedisTransport(agent, actingSpec(agent, options), options, log);
  try {
    return await learnFromActors(agent, transport, options, callbacks);
  } finally {
    transport.close();
  }
}

/**
 * The learner's loop over any transport, until the run's end: PPO's (`learnRollouts`) or the
 * replay learners' (`learnTransitions`). `sync` trains only on segments of the current version.
 */
export async function learnFromActors(
  agent: DistributedAgent,
  transport: LearnerTransport,
  options: { sync?: boolean; maxPolicyLag?: number; signal?: AbortSignal },
  callbacks: TrainCallbacks = {},
): Promise<{ result: TrainResult; stats: LearnerStats }> {
  return agent instanceof PPO ? learnRollouts(agent, transport, options, callbacks) : learnTransitions(agent, transport, options, callbacks);
}

/** Too stale for the learner at `version`, or acted by a version it never made (a learner resumed from an earlier checkpoint rolled back past it). */
const tooOld = (segment: Segment, version: number, sync: boolean, maxLag: number) => {
  const lag = version - segment.versions[0]!;
  return lag < 0 || (sync ? lag > 0 : lag > maxLag);
};

/** The `distributed/*` and `actors/*` metrics. */
function distributedMetrics(stats: LearnerStats, lagMean: number, lagMax: number): Record<string, number> {
  const metrics: Record<string, number> = {
    "distributed/policy_lag_mean": lagMean,
    "distributed/policy_lag_max": lagMax,
    "distributed/segments": stats.segments,
    "distributed/skipped": stats.skipped,
    "distributed/dropped": stats.dropped,
    "distributed/reclaimed": stats.reclaimed,
    "distributed/actors": stats.actors.size,
  };
  for (const [name, a] of stats.actors) metrics[`actors/${name}/samples_per_s`] = a.steps / Math.max(1e-9, now() - a.since);
  return metrics;
}

function countSteps(stats: LearnerStats, actor: string, steps: number): void {
  const a = stats.actors.get(actor) ?? { steps: 0, since: now() };
  a.steps += steps;
  stats.actors.set(actor, a);
}

/**
 * PPO's loop: batches of `numEnvs` env columns, oldest segments first (an actor's segments need
 * not be `numEnvs` wide: they are split across batches), one `agent.update` per batch, each new
 * version published. Segments more than `maxPolicyLag` (8) versions behind are dropped.
 */
async function learnRollouts(
  agent: PPO,
  transport: LearnerTransport,
  options: { sync?: boolean; maxPolicyLag?: number; signal?: AbortSignal },
  callbacks: TrainCallbacks = {},
): Promise<{ result: TrainResult; stats: LearnerStats }> {
  const c = agent.config;
  assertDistributable(agent);
  const sync = options.sync ?? false;
  const maxLag = options.maxPolicyLag ?? 8;
  const stats: LearnerStats = { segments: 0, skipped: 0, dropped: 0, reclaimed: 0, actors: new Map() };
  await transport.start(agent);
  await transport.publish(agent);

  const batch = allocateSegment({ numSteps: c.numSteps, obsSize: agent.worker.obsSize, actionDim: agent.worker.actionDim, numEnvs: c.numEnvs });
  const queue: Held[] = [];
  const start = now();
  while (agent.version < agent.numIterations) {
    let filled = 0;
    const used: Incoming[] = [];
    batch.episodes.length = 0;
    let lagSum = 0, lagMax = 0;
    while (filled < c.numEnvs) {
      const head = queue[0];
      if (head && head.next === 0 && tooOld(head.item.segment, agent.version, sync, maxLag)) {
        // it waited while the policy moved on
        queue.shift();
        stats.dropped++;
        await transport.finish([head.item]);
        continue;
      }
      if (head) {
        const { segment } = head.item;
        const count = Math.min(c.numEnvs - filled, segment.numEnvs - head.next);
        copyColumns(segment, head.next, batch, filled, count);
        const lag = agent.version - segment.versions[0]!;
        lagSum += lag * count;
        lagMax = Math.max(lagMax, lag);
        countSteps(stats, segment.actor, count * c.numSteps);
        filled += count;
        head.next += count;
        if (head.next === segment.numEnvs) {
          queue.shift();
          used.push(head.item);
          stats.segments++;
        }
        continue;
      }
      options.signal?.throwIfAborted();
      const item = await transport.next(agent.version, options.signal);
      stats.skipped = transport.skipped;
      if (!item) continue;
      if (tooOld(item.segment, agent.version, sync, maxLag)) {
        stats.dropped++;
        await transport.finish([item]);
        continue;
      }
      if (item.reclaimed) stats.reclaimed++;
      queue.push({ item, next: 0 });
    }
    sortEpisodes(batch);
    agent.update(batch, callbacks, start, distributedMetrics(stats, lagSum / c.numEnvs, lagMax));
    await transport.finish(used);
    // the last version is not published: synchronous actors would act once more, for nobody
    if (agent.version < agent.numIterations) await transport.publish(agent);
    callbacks.checkpoint?.(globalStep(agent), agent.version === agent.numIterations);
    if (callbacks.shouldStop?.(globalStep(agent))) break;
  }
  await transport.end();
  const wall = now() - start;
  return { result: trainResult("ppo", c, globalStep(agent), wall, agent.episodes), stats };
}

/**
 * DQN's and SAC's loop (Ape-X's learner): each segment, oldest first, goes to `agent.observe`,
 * which adds its transitions to the replay buffer and updates at the algorithm's ratio (DQN's
 * train frequency, SAC's UTD) per env step received, as the single process does; the parameters
 * are published after every segment, stamped with the learner's iteration (env steps received ÷
 * numEnvs) that actors' schedules (ε, learning starts) read. Stale transitions are what a replay
 * buffer holds anyway: none are dropped unless `maxPolicyLag` (in iterations) is given. The
 * lag metrics are over the segments since the previous report.
 */
async function learnTransitions(
  agent: DQN | SAC,
  transport: LearnerTransport,
  options: { sync?: boolean; maxPolicyLag?: number; signal?: AbortSignal },
  callbacks: TrainCallbacks = {},
): Promise<{ result: TrainResult; stats: LearnerStats }> {
  const sync = options.sync ?? false;
  const maxLag = options.maxPolicyLag ?? Infinity;
  const stats: LearnerStats = { segments: 0, skipped: 0, dropped: 0, reclaimed: 0, actors: new Map() };
  await transport.start(agent);
  if (agent instanceof SAC) agent.prepare(callbacks);
  await transport.publish(agent);
  const start = now();
  let lagSum = 0, lagMax = 0, lagCount = 0;
  const observed: TrainCallbacks = {
    ...callbacks,
    onMetrics: (step, metrics, elapsed) => {
      callbacks.onMetrics?.(step, metrics, elapsed);
      lagSum = lagMax = lagCount = 0;
    },
  };
  while (agent.version < agent.numIterations) {
    options.signal?.throwIfAborted();
    const item = await transport.next(agent.version, options.signal);
    stats.skipped = transport.skipped;
    if (!item) continue;
    const { segment } = item;
    if (tooOld(segment, agent.version, sync, maxLag)) {
      stats.dropped++;
      await transport.finish([item]);
      continue;
    }
    if (item.reclaimed) stats.reclaimed++;
    const lag = agent.version - segment.versions[0]!;
    lagSum += lag;
    lagCount++;
    lagMax = Math.max(lagMax, lag);
    const before = agent.globalStep;
    sortEpisodes(segment);
    agent.observe(segment, observed, start, distributedMetrics(stats, lagSum / lagCount, lagMax));
    stats.segments++;
    countSteps(stats, segment.actor, agent.globalStep - before);
    await transport.finish([item]);
    const done = agent.version >= agent.numIterations;
    // the last version is not published: synchronous actors would act once more, for nobody
    if (!done) await transport.publish(agent);
    callbacks.checkpoint?.(agent.globalStep, done);
    if (callbacks.shouldStop?.(agent.globalStep)) break;
  }
  await transport.end();
  const wall = now() - start;
  return { result: trainResult(algoOf(agent), agent.config, agent.globalStep, wall, agent.episodes), stats };
}

/** What a distributed learner cannot do yet, refused before anything starts. */
export function assertDistributable(agent: DistributedAgent): void {
  if (agent instanceof PPO && agent.worker.obsRms) throw new ConfigError("distributed PPO: normalize (observation statistics) would differ per actor; pass --normalize false");
}

/** The learner's side of Redis Streams: a consumer group reads segments, XACK + XDEL lets them go. (Exported for tests that account for each segment.) */
export class RedisTransport implements LearnerTransport {
  skipped = 0;
  private readonly redis: Redis;
  private readonly keys: RunKeys;
  private readonly consumer: string;
  private readonly claimIdleMs: number;
  private readonly shape: Omit<SegmentShape, "numEnvs">;
  private readonly numActions: number | null;
  private readonly spec: ActingSpec;
  /** read from the stream, not yet handed over */
  private readonly pending: Incoming[] = [];
  /** handed over and not finished: never taken twice */
  private readonly held = new Set<string>();
  /**
   * the seqs taken from each actor: an XADD whose reply a Redis restart lost is resent on
   * reconnection, adding the same segment twice (the copy is that actor's next entry, the
   * original possibly reclaimed much later)
   */
  private readonly taken = new Map<string, TakenSeqs>();
  private claimCursor = "0-0";
  private lastClaim = 0;
  /** the version a previous learner of the run published last: its actors' segments may carry up to it */
  private previousVersion = 0;
  /** a resumed learner takes every pending segment at once: tsrl resume has checked that the learner before it is gone */
  private claimIdle: number;

  constructor(agent: DistributedAgent, spec: ActingSpec, private readonly options: LearnerOptions, private readonly log: (m: string) => void) {
    this.keys = runKeys(options.run);
    this.consumer = options.consumer ?? `${hostname()}-${process.pid}`;
    this.claimIdleMs = options.claimIdleMs ?? 30_000;
    this.claimIdle = this.claimIdleMs;
    this.spec = spec;
    const { numActions, ...shape } = segmentShape(agent, spec);
    this.shape = shape;
    this.numActions = numActions;
    this.redis = connect(options.redis, log);
  }

  async start(agent: DistributedAgent): Promise<void> {
    const { redis, keys } = this;
    if (agent.version === 0) await redis.del(keys.segments, keys.params, keys.version, keys.done, keys.actors);
    else {
      this.previousVersion = Number((await redis.get(keys.version)) ?? 0) || 0;
      if (this.options.resumed) this.claimIdle = 0;
    }
    await createGroup(redis, keys);
    const description: RunDescription = { format: RUN_FORMAT, algo: this.spec.algo, config: this.spec.config, segmentSteps: this.spec.numSteps, sync: this.options.sync ?? false, maxStreamLength: this.options.maxStreamLength ?? 1000, maxQueued: this.options.maxQueued ?? 4 };
    await redis.set(keys.run, JSON.stringify(description));
  }

  /** the value first (SET of parameters and version together), then the notice */
  async publish(agent: DistributedAgent): Promise<void> {
    const bytes = saveParameters(actingModules(agent), undefined, { policyVersion: agent.version });
    await this.redis.multi().set(this.keys.params, Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)).set(this.keys.version, String(agent.version)).exec();
    await this.redis.publish(this.keys.channel, String(agent.version));
  }

  async next(version: number): Promise<Incoming | null> {
    const { redis, keys } = this;
    if (this.pending.length) return this.pending.shift()!;
    // reclaiming is checked at half the idle time, when nothing is queued
    if (now() - this.lastClaim > this.claimIdleMs / 2000) {
      this.lastClaim = now();
      const [cursor, entries] = (await redis.callBuffer("XAUTOCLAIM", keys.segments, GROUP, this.consumer, this.claimIdle, this.claimCursor, "COUNT", 16)) as [Buffer, [Buffer, Buffer[] | null][]];
      this.claimCursor = cursor.toString("latin1");
      // all of them taken (the cursor wrapped): later claims wait for the idle time again
      if (this.claimCursor === "0-0") this.claimIdle = this.claimIdleMs;
      await this.take(entries, true, version);
      if (this.pending.length) return this.pending.shift()!;
    }
    let reply: [Buffer, [Buffer, Buffer[] | null][]][] | null;
    try {
      reply = (await redis.xreadgroupBuffer("GROUP", GROUP, this.consumer, "COUNT", 4, "BLOCK", 1000, "STREAMS", keys.segments, ">")) as typeof reply;
    } catch (err) {
      // a Redis restarted without its data (no AOF) lost the group: make it again
      if (!/NOGROUP/.test((err as Error).message)) throw err;
      this.log("learner: the consumer group is gone (Redis lost its data?); creating it again");
      await createGroup(redis, keys);
      return null;
    }
    if (reply) await this.take(reply[0]![1], false, version);
    return this.pending.shift() ?? null;
  }

  /** acknowledged segments leave the stream: its length is what actors' flow control reads */
  async finish(items: Incoming[]): Promise<void> {
    if (!items.length) return;
    const ids = items.map((item) => item.id);
    for (const id of ids) this.held.delete(id);
    await this.ack(ids);
  }

  async end(): Promise<void> {
    await this.redis.set(this.keys.done, "1");
    await this.redis.publish(this.keys.channel, "done");
  }

  close(): void {
    this.redis.disconnect();
  }

  private async ack(ids: string[]): Promise<void> {
    await this.redis.xack(this.keys.segments, GROUP, ...ids);
    await this.redis.xdel(this.keys.segments, ...ids);
  }

  private async take(entries: [Buffer, Buffer[] | null][], reclaimed: boolean, version: number): Promise<void> {
    for (const [rawId, fields] of entries) {
      const id = rawId.toString("latin1");
      if (this.held.has(id)) continue;
      let segment: Segment;
      try {
        segment = decodeSegment(fields, this.shape, Math.max(version, this.previousVersion), this.numActions, this.options.maxSegmentBytes ?? DEFAULT_MAX_SEGMENT_BYTES);
      } catch (err) {
        if (!(err instanceof SegmentError)) throw err;
        this.log(`learner: skipped stream entry ${id}: ${err.message}`);
        this.skipped++;
        await this.ack([id]);
        continue;
      }
      if (this.seen(segment.actor, segment.seq)) {
        this.log(`learner: skipped stream entry ${id}: a second copy of actor ${segment.actor}'s segment ${segment.seq} (an XADD resent after a reconnection)`);
        this.skipped++;
        await this.ack([id]);
        continue;
      }
      this.held.add(id);
      this.pending.push({ id, segment, reclaimed });
    }
  }

  /** whether `actor`'s segment `seq` was taken before; remembers it */
  private seen(actor: string, seq: number): boolean {
    let seqs = this.taken.get(actor);
    if (!seqs) this.taken.set(actor, (seqs = new TakenSeqs()));
    return !seqs.add(seq);
  }
}

/**
 * The seqs taken from one actor, exactly: every seq below `below`, and the ones above it in
 * `above`. An actor numbers its segments 0, 1, 2, … so `below` follows them and `above` holds
 * only those taken out of order. A seq that never arrives (trimmed by MAXLEN unread, or lost with
 * a killed actor) would hold `below` back forever: past `maxOutOfOrder` seqs above it, `below`
 * jumps to the smallest taken one, forgetting only gaps that far behind.
 */
export class TakenSeqs {
  private below = 0;
  private readonly above = new Set<number>();

  constructor(private readonly maxOutOfOrder = 1 << 16) {}

  /** false if `seq` was taken already */
  add(seq: number): boolean {
    if (seq < this.below || this.above.has(seq)) return false;
    this.above.add(seq);
    if (this.above.size > this.maxOutOfOrder) {
      let smallest = seq;
      for (const taken of this.above) if (taken < smallest) smallest = taken;
      this.below = smallest; // one pass: spreading a set this large into Math.min risks the argument limit
    }
    while (this.above.delete(this.below)) this.below++;
    return true;
  }
}

const globalStep = (agent: PPO) => agent.version * agent.config.numEnvs * agent.config.numSteps;

async function createGroup(redis: Redis, keys: RunKeys): Promise<void> {
  try {
    await redis.xgroup("CREATE", keys.segments, GROUP, "0", "MKSTREAM");
  } catch (err) {
    if (!/BUSYGROUP/.test((err as Error).message)) throw err;
  }
}
