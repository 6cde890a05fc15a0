/** `tsrl rollout`: a random-policy run through a vectorized env, with a progress bar and a summary. */
import cliProgress from "cli-progress";
import { InvalidArgumentError } from "commander";
import { makeVec, spec } from "../envs/registry.js";
import { frameToAnsi } from "../envs/render/ansi.js";
import { loadEnvArg } from "../node/env-module.js";

export interface RolloutOptions {
  env: string;
  numEnvs: number;
  steps: number;
  seed: number;
  render?: boolean;
  json?: boolean;
  quiet?: boolean;
}

export async function rolloutCommand(opts: RolloutOptions): Promise<void> {
  // before any env is made: a million envs for a thousand steps is a mistyped flag, not a rollout
  if (opts.numEnvs > opts.steps) throw new InvalidArgumentError(`--num-envs ${opts.numEnvs} is more than --steps ${opts.steps} (the steps of all envs together); lower --num-envs or raise --steps`);
  const { id } = await loadEnvArg(opts.env);
  const envSpec = spec(id);
  const vec = makeVec(id, { numEnvs: opts.numEnvs });
  const space = vec.singleActionSpace;
  space.seed(opts.seed);
  const n = vec.numEnvs;
  const actions = new Float64Array(n * vec.actionSize);
  const returns: number[] = [];
  const lengths: number[] = [];
  const epReturn = new Float64Array(n);
  const epLength = new Int32Array(n);
  vec.reset({ seed: opts.seed });
  const iterations = Math.ceil(opts.steps / n);
  const showBar = !opts.quiet && !opts.json && process.stderr.isTTY;
  const bar = new cliProgress.SingleBar(
    { format: " {bar} {percentage}% | {value}/{total} steps | {sps} steps/s | episodes {episodes} | mean return {mean} | ETA {eta_formatted}", hideCursor: true, stream: process.stderr },
    cliProgress.Presets.shades_classic,
  );
  if (showBar) bar.start(iterations * n, 0, { sps: "-", episodes: 0, mean: "-" });
  const start = performance.now();
  for (let it = 0; it < iterations; it++) {
    for (let i = 0; i < n; i++) {
      const a = space.sample();
      if (typeof a === "number") actions[i] = a;
      else actions.set(a as ArrayLike<number>, i * vec.actionSize);
    }
    const [, rewards, terms, truncs] = vec.step(actions);
    for (let i = 0; i < n; i++) {
      // next-step autoreset: a step right after an episode end is the reset step, not part of an episode
      if (epLength[i] < 0) {
        epLength[i] = 0;
        continue;
      }
      epReturn[i] += rewards[i]!;
      epLength[i] += 1;
      if (terms[i] || truncs[i]) {
        returns.push(epReturn[i]!);
        lengths.push(epLength[i]!);
        epReturn[i] = 0;
        epLength[i] = -1;
      }
    }
    if (showBar && (it % 64 === 0 || it === iterations - 1)) {
      const secs = (performance.now() - start) / 1000;
      bar.update((it + 1) * n, { sps: Math.round(((it + 1) * n) / secs), episodes: returns.length, mean: mean(returns.slice(-100)).toFixed(2) });
    }
  }
  if (showBar) bar.stop();
  const wallS = (performance.now() - start) / 1000;
  const summary = {
    env: id,
    policy: "random",
    seed: opts.seed,
    num_envs: n,
    total_steps: iterations * n,
    wall_s: +wallS.toFixed(3),
    sps: Math.round((iterations * n) / wallS),
    episodes: returns.length,
    mean_return: +mean(returns).toFixed(4),
    std_return: +std(returns).toFixed(4),
    // reduce, not Math.min(...returns): millions of arguments overflow the stack
    min_return: returns.length ? returns.reduce((a, b) => Math.min(a, b)) : null,
    max_return: returns.length ? returns.reduce((a, b) => Math.max(a, b)) : null,
    mean_length: +mean(lengths).toFixed(2),
    reward_threshold: envSpec.rewardThreshold,
  };
  if (opts.json) {
    console.log(JSON.stringify(summary));
    return;
  }
  console.log(`${id}: random policy, ${summary.total_steps} steps over ${n} envs in ${summary.wall_s} s (${summary.sps.toLocaleString("en-US")} steps/s)`);
  console.log(`  episodes finished: ${summary.episodes}`);
  if (returns.length) {
    console.log(`  return: mean ${summary.mean_return} ± ${summary.std_return} (min ${summary.min_return}, max ${summary.max_return}); mean length ${summary.mean_length}`);
  }
  if (envSpec.rewardThreshold !== null) console.log(`  solved at a mean return of ${envSpec.rewardThreshold} (training arrives with \`tsrl train\`)`);
  if (opts.render) console.log(frameToAnsi(vec.render(0)!, { columns: Math.min(process.stdout.columns || 80, 100) }));
}

function mean(xs: readonly number[]): number {
  return xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : NaN;
}

function std(xs: readonly number[]): number {
  if (xs.length < 2) return 0;
  const m = mean(xs);
  return Math.sqrt(xs.reduce((a, b) => a + (b - m) ** 2, 0) / xs.length);
}
