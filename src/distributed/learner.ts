/**
 * The learner of a distributed PPO run (SRL's trainer; IMPALA's learner): reads trajectory
 * segments from the run's Redis Stream through a consumer group, trains on batches of `numEnvs`
 * env columns, and publishes each new parameter version (SET, then PUBLISH). Actors anywhere
 * (`runActor`) join and leave at will.
 *
 * - Delivery: a segment is acknowledged (XACK, then XDEL) after the update that trained on it, so segments
 *   a killed learner had read come back to the next one (XAUTOCLAIM after `claimIdleMs`); stream
 *   ids already held are never taken twice, so each segment is trained on at most once.
 * - Staleness: `sync` runs train only on segments of the current version (actors wait for each
 *   new one), which with one actor of `numEnvs` envs is the single-process run exactly. Otherwise
 *   columns of older versions get V-trace (see PPO.update), and segments more than `maxPolicyLag`
 *   versions behind are dropped and counted. Actors pause while `maxQueued` segments wait.
 * - Malformed or foreign entries are logged, acknowledged and skipped (see codec.ts).
 */
import { hostname } from "node:os";
import type { Redis } from "ioredis";
import { Box, type Discrete } from "../envs/spaces.js";
import { type Segment, allocateSegment, copyColumns, sortEpisodes } from "../algos/acting.js";
import { ConfigError, type TrainCallbacks, type TrainResult, now, trainResult } from "../algos/common.js";
import { type PPO, ppoModules } from "../algos/ppo.js";
import { saveParameters } from "../nn/checkpoint.js";
import { DEFAULT_MAX_SEGMENT_BYTES, SegmentError, decodeSegment } from "./codec.js";
import { GROUP, type RunKeys, connect, runKeys } from "./redis.js";

export const RUN_FORMAT = "tsrl.distributed/1";

/** What actors read from `tsrl:<run>:run`. */
export interface RunDescription {
  format: typeof RUN_FORMAT;
  algo: "ppo";
  config: Record<string, unknown>;
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
  id: string;
  segment: Segment;
  /** columns not yet put into a batch */
  next: number;
}

/**
 * Trains `agent` on segments from Redis until its `totalTimesteps`; `callbacks` as `learn`'s.
 * Fresh runs (version 0) clear the run's stream first.
 */
export async function learnDistributed(agent: PPO, options: LearnerOptions, callbacks: TrainCallbacks = {}): Promise<{ result: TrainResult; stats: LearnerStats }> {
  const c = agent.config;
  if (agent.worker.obsRms) throw new ConfigError("distributed PPO: normalize (observation statistics) would differ per actor; pass --normalize false");
  const log = options.log ?? ((m: string) => console.error(m));
  const keys = runKeys(options.run);
  const sync = options.sync ?? false;
  const maxLag = options.maxPolicyLag ?? 8;
  const claimIdleMs = options.claimIdleMs ?? 30_000;
  const consumer = options.consumer ?? `${hostname()}-${process.pid}`;
  const shape = { numSteps: c.numSteps, obsSize: agent.worker.obsSize, actionDim: agent.worker.actionDim };
  const space = agent.target.actionSpace;
  const numActions = space instanceof Box ? null : (space as Discrete).n;
  const redis = connect(options.redis, log);
  const stats: LearnerStats = { segments: 0, skipped: 0, dropped: 0, reclaimed: 0, actors: new Map() };
  try {
    if (agent.version === 0) await redis.del(keys.segments, keys.params, keys.version, keys.done, keys.actors);
    await createGroup(redis, keys);
    const description: RunDescription = { format: RUN_FORMAT, algo: "ppo", config: c, sync, maxStreamLength: options.maxStreamLength ?? 1000, maxQueued: options.maxQueued ?? 4 };
    await redis.set(keys.run, JSON.stringify(description));
    await publish(redis, keys, agent);

    const batch = allocateSegment({ ...shape, numEnvs: c.numEnvs });
    const queue: Held[] = [];
    const held = new Set<string>();
    const start = now();
    /** acknowledged segments leave the stream: its length is what actors' flow control reads */
    const finish = async (ids: string[]) => {
      if (!ids.length) return;
      await redis.xack(keys.segments, GROUP, ...ids);
      await redis.xdel(keys.segments, ...ids);
    };
    const tooOld = (segment: Segment) => {
      const lag = agent.version - segment.versions[0]!;
      return sync ? lag > 0 : lag > maxLag;
    };
    let claimCursor = "0-0";
    let lastClaim = 0;
    const take = async (entries: [Buffer, Buffer[] | null][], reclaimed: boolean) => {
      for (const [rawId, fields] of entries) {
        const id = rawId.toString("latin1");
        if (held.has(id)) continue;
        let segment: Segment;
        try {
          segment = decodeSegment(fields, shape, agent.version, numActions, options.maxSegmentBytes ?? DEFAULT_MAX_SEGMENT_BYTES);
        } catch (err) {
          if (!(err instanceof SegmentError)) throw err;
          log(`learner: skipped stream entry ${id}: ${err.message}`);
          stats.skipped++;
          await finish([id]);
          continue;
        }
        if (tooOld(segment)) {
          stats.dropped++;
          await finish([id]);
          continue;
        }
        if (reclaimed) stats.reclaimed++;
        held.add(id);
        queue.push({ id, segment, next: 0 });
      }
    };

    while (agent.version < agent.numIterations) {
      // a batch: numEnvs columns, oldest segments first
      let filled = 0;
      const used: string[] = [];
      batch.episodes.length = 0;
      let lagSum = 0, lagMax = 0;
      while (filled < c.numEnvs) {
        const head = queue[0];
        if (head && head.next === 0 && tooOld(head.segment)) {
          // it waited while the policy moved on
          queue.shift();
          held.delete(head.id);
          stats.dropped++;
          await finish([head.id]);
          continue;
        }
        if (head) {
          const count = Math.min(c.numEnvs - filled, head.segment.numEnvs - head.next);
          copyColumns(head.segment, head.next, batch, filled, count);
          const lag = agent.version - head.segment.versions[0]!;
          lagSum += lag * count;
          lagMax = Math.max(lagMax, lag);
          const actor = stats.actors.get(head.segment.actor) ?? { steps: 0, since: now() };
          actor.steps += count * c.numSteps;
          stats.actors.set(head.segment.actor, actor);
          filled += count;
          head.next += count;
          if (head.next === head.segment.numEnvs) {
            queue.shift();
            used.push(head.id);
            stats.segments++;
          }
          continue;
        }
        // reclaiming is checked at half the idle time, when nothing is queued
        if (now() - lastClaim > claimIdleMs / 2000) {
          lastClaim = now();
          const [cursor, entries] = (await redis.callBuffer("XAUTOCLAIM", keys.segments, GROUP, consumer, claimIdleMs, claimCursor, "COUNT", 16)) as [Buffer, [Buffer, Buffer[] | null][]];
          claimCursor = cursor.toString("latin1");
          await take(entries, true);
          if (queue.length) continue;
        }
        options.signal?.throwIfAborted();
        let reply: [Buffer, [Buffer, Buffer[] | null][]][] | null;
        try {
          reply = (await redis.xreadgroupBuffer("GROUP", GROUP, consumer, "COUNT", 4, "BLOCK", 1000, "STREAMS", keys.segments, ">")) as typeof reply;
        } catch (err) {
          // a Redis restarted without its data (no AOF) lost the group: make it again
          if (!/NOGROUP/.test((err as Error).message)) throw err;
          log("learner: the consumer group is gone (Redis lost its data?); creating it again");
          await createGroup(redis, keys);
          continue;
        }
        if (reply) await take(reply[0]![1], false);
      }
      sortEpisodes(batch);
      const metrics: Record<string, number> = {
        "distributed/policy_lag_mean": lagSum / c.numEnvs,
        "distributed/policy_lag_max": lagMax,
        "distributed/segments": stats.segments,
        "distributed/skipped": stats.skipped,
        "distributed/dropped": stats.dropped,
        "distributed/reclaimed": stats.reclaimed,
        "distributed/actors": stats.actors.size,
      };
      for (const [name, a] of stats.actors) metrics[`actors/${name}/samples_per_s`] = a.steps / Math.max(1e-9, now() - a.since);
      agent.update(batch, callbacks, start, metrics);
      for (const id of used) held.delete(id);
      await finish(used);
      // the last version is not published: synchronous actors would act once more, for nobody
      if (agent.version < agent.numIterations) await publish(redis, keys, agent);
      callbacks.checkpoint?.(globalStep(agent), agent.version === agent.numIterations);
      if (callbacks.shouldStop?.(globalStep(agent))) break;
    }
    await redis.set(keys.done, "1");
    await redis.publish(keys.channel, "done");
    const wall = now() - start;
    return { result: trainResult("ppo", c, globalStep(agent), wall, agent.episodes), stats };
  } finally {
    redis.disconnect();
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

/** Publishes the agent's parameters as version `agent.version`: the value first, then the notice. */
async function publish(redis: Redis, keys: RunKeys, agent: PPO): Promise<void> {
  const bytes = saveParameters(ppoModules(agent.networks), undefined, { policyVersion: agent.version });
  await redis.multi().set(keys.params, Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)).set(keys.version, String(agent.version)).exec();
  await redis.publish(keys.channel, String(agent.version));
}
