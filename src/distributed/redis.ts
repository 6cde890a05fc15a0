/**
 * Redis connections and key names of a distributed run. URLs as ioredis takes them:
 * `redis://[:password@]host:port[/db]`, `redis://user:password@host`, `rediss://…` for TLS.
 * Commands wait through a disconnection (Redis restarting) and are resent on reconnect.
 */
import { Redis } from "ioredis";
import { ConfigError } from "../algos/common.js";

const RUN_NAME = /^[\w.@-]{1,100}$/;

/** Every key of run `run`, under `tsrl:<run>:`. */
export function runKeys(run: string) {
  if (!RUN_NAME.test(run)) throw new ConfigError(`run name "${run}": use 1–100 letters, digits, '_', '.', '@' or '-'`);
  const prefix = `tsrl:${run}:`;
  return {
    /** the trajectory segments (a stream; the learners' consumer group reads it) */
    segments: `${prefix}segments`,
    /** the run's description for actors: {format, algo, config, sync} (JSON) */
    run: `${prefix}run`,
    /** the newest policy parameters (a tensor file whose meta holds the version) */
    params: `${prefix}params`,
    /** their version (a decimal integer), read before fetching the parameters */
    version: `${prefix}version`,
    /** channel: the version just published, or "done" */
    channel: `${prefix}params`,
    /** a counter handing out actor indices (and so their seeds) */
    actors: `${prefix}actors`,
    /** set when the learner has finished */
    done: `${prefix}done`,
  };
}

export type RunKeys = ReturnType<typeof runKeys>;

export const GROUP = "learners";

/** A client for `url` that logs connection trouble through `log` once per outage instead of throwing. */
export function connect(url: string, log: (message: string) => void): Redis {
  if (!/^rediss?:\/\//.test(url)) throw new ConfigError(`--redis ${url.replace(/:[^:@/]*@/, ":***@")}: expected redis://[user:password@]host:port or rediss:// (TLS)`);
  const redis = new Redis(url, {
    maxRetriesPerRequest: null, // wait for a restarting Redis instead of failing the command
    retryStrategy: (times) => Math.min(100 * times, 2000),
    connectionName: "tsrl",
  });
  let down = false;
  redis.on("error", (err: Error) => {
    if (!down) log(`redis: ${err.message}; reconnecting`);
    down = true;
  });
  redis.on("ready", () => {
    if (down) log("redis: reconnected");
    down = false;
  });
  return redis;
}
