/**
 * An actor of a distributed PPO, DQN or SAC run (SRL's actor worker, with its policy worker
 * inside: small nets run in the same process): reads the run's config, takes the newest
 * parameters when their version is published, steps `envs` envs and adds each segment (PPO's
 * rollouts; DQN's and SAC's transitions) to the run's stream (XADD, MAXLEN ~ as a safety bound). Actor k (from a counter in Redis) seeds env i with seed + k·2^20 + i and
 * samples actions from Random(seed + 1 + k·2^20): actor 0 acts as the single-process run does.
 * It stops when the learner has finished, or on `signal`. A segment being made when the actor
 * dies is lost (it never reached the stream); the learner does not wait for it.
 */
import { hostname } from "node:os";
import type { Redis } from "ioredis";
import { ConfigError } from "../algos/common.js";
import { allocateSegment } from "../algos/acting.js";
import { loadParameters } from "../nn/checkpoint.js";
import { decodeTensorFile } from "../nn/serialize.js";
import { encodeSegment } from "./codec.js";
import { RUN_FORMAT, type RunDescription } from "./learner.js";
import { type ActingSpec, resolveConfig, seededActorWorker } from "./algos.js";
import { connect, runKeys } from "./redis.js";

/** Parameters larger than this are refused (a foreign value under the run's key). */
const MAX_PARAMS_BYTES = 1 << 30;

export interface ActorOptions {
  redis: string;
  run: string;
  /** envs stepped together (default: the run's numEnvs) */
  envs?: number;
  /** stop after this many segments (default: until the learner is done) */
  maxSegments?: number;
  signal?: AbortSignal;
  log?: (message: string) => void;
}

export interface ActorSummary {
  actor: string;
  index: number;
  segments: number;
  steps: number;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Reads and checks the run's description; waits for the learner to write it. */
async function readRun(redis: Redis, key: string, run: string, log: (m: string) => void, signal?: AbortSignal): Promise<{ spec: ActingSpec; description: RunDescription }> {
  let waited = false;
  for (;;) {
    const text = await redis.get(key);
    if (text !== null) {
      let parsed: Partial<RunDescription>;
      try {
        parsed = JSON.parse(text) as Partial<RunDescription>;
      } catch {
        throw new ConfigError(`run ${run}: ${key} is not JSON; is another program using this key?`);
      }
      const algo = parsed?.algo;
      if (parsed?.format !== RUN_FORMAT || (algo !== "ppo" && algo !== "dqn" && algo !== "sac") || typeof parsed.config !== "object" || parsed.config === null || typeof parsed.sync !== "boolean" || !Number.isSafeInteger(parsed.segmentSteps) || parsed.segmentSteps! < 1 || !Number.isSafeInteger(parsed.maxStreamLength) || parsed.maxStreamLength! < 1 || !Number.isSafeInteger(parsed.maxQueued) || parsed.maxQueued! < 1) {
        throw new ConfigError(`run ${run}: ${key} is not a ${RUN_FORMAT} run description (of ppo, dqn or sac)`);
      }
      // the schema checks every field; the env must be registered here (built-in, or --env module:Id)
      const config = resolveConfig(algo, parsed.config);
      const spec: ActingSpec = { algo, config, kind: algo === "ppo" ? "rollout" : "transitions", numSteps: parsed.segmentSteps! };
      return { spec, description: parsed as RunDescription };
    }
    if (signal?.aborted) throw new Error("actor stopped before the run started");
    if (!waited) log(`actor: waiting for run ${run}'s learner`);
    waited = true;
    await sleep(500);
  }
}

export async function runActor(options: ActorOptions): Promise<ActorSummary> {
  const log = options.log ?? ((m: string) => console.error(m));
  const keys = runKeys(options.run);
  const redis = connect(options.redis, log);
  const subscriber = connect(options.redis, () => {});
  try {
    const { spec, description } = await readRun(redis, keys.run, options.run, log, options.signal);
    const c = spec.config;
    const numEnvs = options.envs ?? c.numEnvs;
    if (!Number.isSafeInteger(numEnvs) || numEnvs < 1 || numEnvs > 1 << 16) throw new ConfigError(`--envs: expected an integer in [1, 65536], got ${numEnvs}`);
    // a synchronous DQN/SAC run moves one version per num-envs env steps: other envs counts would stall it
    if (description.sync && spec.algo !== "ppo" && numEnvs !== c.numEnvs) throw new ConfigError(`--envs ${numEnvs}: the synchronous ${spec.algo} run ${options.run} takes actors of its num-envs (${c.numEnvs}) envs`);
    const index = (await redis.incr(keys.actors)) - 1;
    const name = `${index}@${hostname().replace(/[^\w.-]/g, "_").slice(0, 100)}`;
    const worker = seededActorWorker(spec, index, numEnvs);
    const modules = worker.modules;

    // a publication wakes the actor; polling every second covers notices lost in a reconnection.
    // Notices are counted so that one arriving between a check and the wait is not missed.
    let notices = 0;
    let wake: (() => void) | null = null;
    await subscriber.subscribe(keys.channel);
    subscriber.on("message", () => {
      notices++;
      wake?.();
    });
    const waitNotice = (seen: number) => (notices > seen ? Promise.resolve() : Promise.race([new Promise<void>((resolve) => (wake = resolve)), sleep(1000)]));

    let version = -1;
    /**
     * takes the published parameters if they are another version than the ones in use (a newer
     * one, or an older one from a learner resumed from its checkpoint); false if there are none yet
     */
    const refresh = async (): Promise<boolean> => {
      const latest = await redis.get(keys.version);
      if (latest === null) return false;
      if (Number(latest) === version) return true;
      const bytes = await redis.getBuffer(keys.params);
      if (!bytes) return false;
      if (bytes.length > MAX_PARAMS_BYTES) throw new Error(`${keys.params} holds ${bytes.length} bytes; not this run's parameters`);
      const published = decodeTensorFile(bytes, keys.params).meta.policyVersion;
      if (!Number.isSafeInteger(published) || (published as number) < 0) throw new Error(`${keys.params} has no policyVersion; not this run's parameters`);
      if (published === version) return true;
      loadParameters(bytes, modules, undefined, keys.params);
      version = published as number;
      return true;
    };

    const segment = allocateSegment({ kind: spec.kind, numEnvs, numSteps: spec.numSteps, obsSize: worker.obsSize, actionDim: worker.actionDim }, name);
    let segments = 0;
    log(`actor ${name}: ${numEnvs} × ${c.envId} for ${spec.algo} run ${options.run} (${description.sync ? "synchronous" : "asynchronous"})`);
    for (;;) {
      const seen = notices;
      if (options.signal?.aborted || (options.maxSegments !== undefined && segments >= options.maxSegments)) break;
      if ((await redis.exists(keys.done)) === 1) break;
      const before = version;
      if (!(await refresh()) || (description.sync && version === before && segments > 0)) {
        // synchronous runs act once per version
        await waitNotice(seen);
        continue;
      }
      if ((await redis.xlen(keys.segments)) >= description.maxQueued) {
        // the learner is behind: acting now would only make stale data
        await waitNotice(seen);
        continue;
      }
      segment.seq = segments;
      worker.collect(segment, version);
      await redis.xadd(keys.segments, "MAXLEN", "~", description.maxStreamLength, "*", ...encodeSegment(segment));
      segments++;
    }
    return { actor: name, index, segments, steps: segments * numEnvs * spec.numSteps };
  } finally {
    redis.disconnect();
    subscriber.disconnect();
  }
}
