/**
 * `tsrl enjoy <run|policy>`: run a saved policy for a few episodes — a run's (by id, id prefix or
 * name) or a .tsrlpolicy file — drawn in the terminal, or recorded to a GIF.
 */
import { ensureEnvRegistered, loadEnvArg } from "../node/env-module.js";
import { existsSync, readFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { actionFor } from "../algos/evaluate.js";
import { Policy } from "../algos/policy.js";
import { makeEnv } from "../algos/training-env.js";
import { flatdim } from "../envs/space-utils.js";
import { frameToAnsi } from "../envs/render/ansi.js";
import { Box, Discrete } from "../envs/spaces.js";
import { writeFileAtomic } from "../node/atomic-write.js";
import { policyFromCheckpoint } from "../track/checkpoint-policy.js";
import { RunStore, StoreError, storeDirectory } from "../track/store.js";
import { GifRecorder } from "../video/gif.js";
import { isTextAlgo } from "../llm/text-algos.js";

export interface EnjoyOptions {
  env?: string;
  /** replace the policy's env kwargs / time limit (null: the registered limit) */
  envKwargs?: Record<string, unknown>;
  maxEpisodeSteps?: number | null;
  episodes: number;
  seed: number;
  stochastic?: boolean;
  render?: boolean;
  gif?: string;
  fps?: number;
  json?: boolean;
  store?: string;
  checkpoint?: number;
}

/** The policy's bytes and what to call it: a file, else a run's saved policy in the store. */
/**
 * The policy's bytes and what to call it: a file, else a run's saved policy in the store — or,
 * with `checkpoint`, the policy inside that checkpoint; a run still training (no policy yet)
 * plays its newest checkpoint, and says so.
 */
export function loadPolicy(target: string, storeOption: string | undefined, options: { checkpoint?: number } = {}): { bytes: Uint8Array; source: string } {
  const looksLikeFile = target.endsWith(".tsrlpolicy") || target.includes("/") || target.includes("\\");
  if ((existsSync(target) || (looksLikeFile && storeOption === undefined)) && options.checkpoint === undefined) {
    try {
      return { bytes: readFileSync(target), source: target };
    } catch (err) {
      throw new Error(`cannot read policy ${target}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
    }
  }
  const dir = storeDirectory(storeOption);
  if (!existsSync(dir)) throw new StoreError(`no policy file "${target}", and no run store at ${dir} to find a run of that name in (pass --store DIR, or a .tsrlpolicy file)`);
  const store = new RunStore(dir, { create: false });
  try {
    let run;
    try {
      run = store.getRun(target);
    } catch (err) {
      throw new StoreError(`no policy file "${target}"; as a run: ${(err as Error).message}`);
    }
    if (isTextAlgo(run.algo)) throw new StoreError(`run ${run.id} (${run.name}) trained a language model (tsrl train ${run.algo}), not a policy for an env: try tsrl sample ${run.name} --prompt ..., or tsrl serve ${run.name}`);
    const policy = store.artifacts(run.id, "policy").at(-1);
    const checkpoints = store.artifacts(run.id, "checkpoint");
    if (options.checkpoint === undefined && policy) return { bytes: store.readArtifact(policy), source: `run ${run.id} (${run.name})` };
    const checkpoint = options.checkpoint === undefined ? checkpoints.at(-1) : checkpoints.find((c) => c.step === options.checkpoint);
    if (!checkpoint) {
      if (options.checkpoint !== undefined) throw new StoreError(`run ${run.id} (${run.name}) has no checkpoint at step ${options.checkpoint}; it has ${checkpoints.map((c) => c.step).join(", ") || "none"}`);
      throw new StoreError(`run ${run.id} (${run.name}) has no saved policy yet (it is written when training ends) and no checkpoint to play instead`);
    }
    if (options.checkpoint === undefined) console.error(`run ${run.id} (${run.name}) has no saved policy yet (still training?): playing its newest checkpoint, at step ${checkpoint.step}`);
    return { bytes: policyFromCheckpoint(run, store.readArtifact(checkpoint), checkpoint.step), source: `run ${run.id} (${run.name}), checkpoint at step ${checkpoint.step}` };
  } finally {
    store.close();
  }
}

export async function enjoyCommand(target: string, opts: EnjoyOptions): Promise<void> {
  if (opts.gif !== undefined) {
    if (!opts.gif.toLowerCase().endsWith(".gif")) throw new Error(`--gif must name a .gif file, got "${opts.gif}"`);
    if (!existsSync(dirname(resolve(opts.gif)))) throw new Error(`--gif ${opts.gif}: the folder ${dirname(resolve(opts.gif))} does not exist`);
  }
  if (opts.render && opts.json) throw new Error("--render and --json both write to stdout: pick one (--gif FILE records the episodes instead)");
  const { bytes, source } = loadPolicy(target, opts.store, { checkpoint: opts.checkpoint });
  const policy = new Policy(bytes, { source });
  // a user env: its module is recorded in the policy, or given as --env ./my-env.js:MyEnv-v0
  const envId = opts.env ? (await loadEnvArg(opts.env)).id : policy.envId;
  if (!opts.env) await ensureEnvRegistered(policy.envId, policy.saved.envModule);
  // the env it trained on (its id with its kwargs and time limit) unless --env names another or the flags replace them
  const env = makeEnv<Float32Array, unknown>(policy.envToPlay({ envId, envKwargs: opts.envKwargs, maxEpisodeSteps: opts.maxEpisodeSteps }), "enjoy");
  const net = policy.network;
  const obsSize = flatdim(env.observationSpace);
  if (obsSize !== net.inputSize) {
    throw new Error(`${source} was trained on ${policy.envId} (${net.inputSize} observation values); ${envId} has ${obsSize}`);
  }
  const head = policy.saved.head;
  const actionSpace = env.actionSpace;
  const fits =
    "actionDim" in head ? actionSpace instanceof Box && actionSpace.size === head.actionDim : actionSpace instanceof Discrete && actionSpace.n === head.numActions;
  if (!fits) throw new Error(`${source} acts in ${policy.envId}'s action space; ${envId} has ${actionSpace}`);

  const act = actionFor(policy, env, { deterministic: !opts.stochastic, seed: opts.seed });
  const fps = opts.fps ?? env.metadata.renderFps ?? 30;
  const frame = () => {
    const f = env.render();
    if (!f) throw new Error(`${envId} cannot draw itself (its render() returns null); implement render() to use --render or --gif`);
    return f;
  };
  // In a terminal: animated in place at the env's speed. Into a file or pipe: every frame, one after another.
  const draw = opts.render === true;
  const animate = draw && process.stdout.isTTY;
  // A GIF's frame delays are whole hundredths of a second: an env drawn faster than 50 fps (Hopper
  // and Walker2d at 125) keeps one frame in k, k chosen so the delay is whole and the GIF plays
  // at real time (125 fps: 1 in 5, 4/100 s), unless --fps was given.
  const gifStride = opts.fps === undefined && fps > 50 ? realTimeStride(fps) : 1;
  const gif = opts.gif !== undefined ? new GifRecorder(fps / gifStride) : null;
  const returns: number[] = [];
  const lengths: number[] = [];
  for (let episode = 0; episode < opts.episodes; episode++) {
    let [obs] = env.reset(episode === 0 ? { seed: opts.seed } : {});
    let total = 0, length = 0;
    if (gif) gif.add(frame());
    for (;;) {
      const [next, reward, terminated, truncated] = env.step(act(obs));
      obs = next;
      total += reward;
      length++;
      if (gif && length % gifStride === 0) gif.add(frame());
      if (draw) {
        process.stdout.write(`${animate ? "\x1b[H\x1b[2J" : ""}${frameToAnsi(frame())}\n episode ${episode + 1}/${opts.episodes}  step ${length}  return ${total.toFixed(2)}\n`);
        if (animate) await new Promise((resolve) => setTimeout(resolve, 1000 / fps));
      }
      if (terminated || truncated) break;
    }
    returns.push(total);
    lengths.push(length);
    if (!opts.json) console.log(`episode ${episode + 1}: return ${total.toFixed(2)}, length ${length}`);
  }
  if (gif) writeFileAtomic(opts.gif!, gif.finish());
  const mean = returns.reduce((a, b) => a + b, 0) / returns.length;
  const std = Math.sqrt(returns.reduce((a, b) => a + (b - mean) ** 2, 0) / returns.length);
  if (opts.json) {
    console.log(JSON.stringify({ policy: source, algo: policy.saved.algo, env: envId, seed: opts.seed, deterministic: !opts.stochastic, episodes: returns.length, mean_return: mean, std_return: std, returns, lengths, ...(gif ? { gif: opts.gif, frames: gif.frameCount } : {}) }));
  } else {
    console.log(`mean return over ${returns.length} episodes: ${mean.toFixed(2)} ± ${std.toFixed(2)} (${opts.stochastic ? "sampled" : "greedy"} actions)`);
    if (gif) console.log(`wrote ${opts.gif} (${gif.frameCount} frames at ${+gif.fps.toFixed(2)} fps${gifStride > 1 ? `: 1 frame in ${gifStride} of the env's ${fps}` : ""})`);
  }
}

/** The smallest k ≥ fps/50 whose k frames last a whole number of hundredths (else the smallest k). */
function realTimeStride(fps: number): number {
  const least = Math.ceil(fps / 50);
  for (let k = least; k < least + 20; k++) {
    const hundredths = (100 * k) / fps;
    if (Math.abs(hundredths - Math.round(hundredths)) < 1e-9) return k;
  }
  return least;
}
