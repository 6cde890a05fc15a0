/**
 * Redis connections and key names of a distributed run. URLs as ioredis takes them:
 * `redis://[:password@]host:port[/db]`, `redis://user:password@host`, `rediss://…` for TLS (verified against
 * Node's CAs: a private CA is added with NODE_EXTRA_CA_CERTS). A refused password or an untrusted certificate fails
 * the commands at once with what to do; other connection errors are retried.
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

/**
 * `url` with its password hidden, for messages and run records. Everything between the scheme and
 * the host's last "@" is credentials (a URL parser splits there too, so an unencoded "@" or ":"
 * in a password stays hidden); a user name before the first ":" is kept.
 */
export function redactUrl(url: string): string {
  const match = /^([a-z]+:\/\/)([^/?#]*)@/i.exec(url);
  if (!match) return url;
  const credentials = match[2]!;
  const colon = credentials.indexOf(":");
  const user = colon < 0 ? "" : credentials.slice(0, colon);
  return `${match[1]}${user}:***@${url.slice(match[0].length)}`;
}

/** What to do about an error that reconnecting cannot cure (a refused password, an untrusted TLS certificate); null for any other. */
function lasting(err: Error & { code?: string }): string | null {
  if (err.message.startsWith("WRONGPASS")) return `the server refused the user name or password (${err.message.trim()}); check them in the URL`;
  if (err.message.startsWith("NOAUTH")) return "the server needs a password: give it in the URL, redis://:PASSWORD@host:port (or USER:PASSWORD@)";
  const code = err.code ?? "";
  if (code === "ERR_TLS_CERT_ALTNAME_INVALID") return `the server's TLS certificate is not for this host (${err.message}); connect by a name or address its subjectAltName lists`;
  if (/CERT|UNABLE_TO_VERIFY|SIGNATURE/.test(code)) return `the server's TLS certificate is not trusted (${err.message}); give Node the CA that signed it: NODE_EXTRA_CA_CERTS=/path/to/ca.pem`;
  return null;
}

/** A client for `url` that logs connection trouble through `log` once per outage instead of throwing. */
export function connect(url: string, log: (message: string) => void): Redis {
  if (!/^rediss?:\/\//.test(url)) throw new ConfigError(`--redis ${redactUrl(url)}: expected redis://[user:password@]host:port or rediss:// (TLS)`);
  const redis = new Redis(url, {
    maxRetriesPerRequest: null, // wait for a restarting Redis instead of failing the command
    retryStrategy: (times) => Math.min(100 * times, 2000),
    connectionName: "tsrl",
  });
  let down = false;
  redis.on("error", (err: Error & { code?: string }) => {
    const fix = lasting(err);
    if (fix) {
      // ioredis would retry forever; stop, so the waiting commands fail. A refused password already
      // rejected them with this very error (renamed here before their handlers run): no log line twice.
      err.message = `redis ${redactUrl(url)}: ${fix}`;
      if (err.name !== "ReplyError") log(err.message);
      redis.disconnect();
      return;
    }
    if (!down) log(`redis: ${err.message}; reconnecting`);
    down = true;
  });
  redis.on("ready", () => {
    if (down) log("redis: reconnected");
    down = false;
  });
  return redis;
}
