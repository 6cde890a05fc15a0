/** `tsrl enjoy <policy>`: run a saved policy for a few episodes, optionally drawn in the terminal. */
import { readFileSync } from "node:fs";
import { Policy } from "../algos/policy.js";
import { make, spec } from "../envs/registry.js";
import { frameToAnsi } from "../envs/render/ansi.js";
import { Box, Discrete } from "../envs/spaces.js";
import { Random } from "../rng/random.js";

export interface EnjoyOptions {
  env?: string;
  episodes: number;
  seed: number;
  stochastic?: boolean;
  render?: boolean;
  fps?: number;
  json?: boolean;
}

export async function enjoyCommand(file: string, opts: EnjoyOptions): Promise<void> {
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(file);
  } catch (err) {
    throw new Error(`cannot read policy ${file}: ${(err as Error).message}`);
  }
  const policy = new Policy(bytes, { source: file });
  const envId = opts.env ?? policy.envId;
  const space = spec(envId).kernel;
  const net = policy.network;
  if (space.observationSpace.size !== net.inputSize) {
    throw new Error(`${file} was trained on ${policy.envId} (${net.inputSize} observation values); ${envId} has ${space.observationSpace.size}`);
  }
  const head = policy.saved.head;
  const actionSpace = space.actionSpace;
  const fits =
    head.kind === "gaussian" ? actionSpace instanceof Box && actionSpace.size === head.actionDim : actionSpace instanceof Discrete && actionSpace.n === head.numActions;
  if (!fits) throw new Error(`${file} acts in ${policy.envId}'s action space; ${envId} has ${actionSpace}`);

  const env = make(envId);
  const rng = opts.stochastic ? new Random(opts.seed) : undefined;
  const action = head.kind === "gaussian" ? new Float64Array(head.actionDim) : new Int32Array(1);
  const draw = opts.render && process.stdout.isTTY;
  const delay = 1000 / (opts.fps ?? space.renderFps ?? 30);
  const returns: number[] = [];
  const lengths: number[] = [];
  for (let episode = 0; episode < opts.episodes; episode++) {
    let [obs] = env.reset(episode === 0 ? { seed: opts.seed } : {});
    let total = 0, length = 0;
    for (;;) {
      policy.act(obs, 1, action, rng);
      const [next, reward, terminated, truncated] = env.step(head.kind === "gaussian" ? Float32Array.from(action) : action[0]!);
      obs = next;
      total += reward;
      length++;
      if (draw) {
        process.stdout.write(`\x1b[H\x1b[2J${frameToAnsi(env.render())}\n episode ${episode + 1}/${opts.episodes}  step ${length}  return ${total.toFixed(2)}\n`);
        await new Promise((resolve) => setTimeout(resolve, delay));
      }
      if (terminated || truncated) break;
    }
    returns.push(total);
    lengths.push(length);
    if (!opts.json) console.log(`episode ${episode + 1}: return ${total.toFixed(2)}, length ${length}`);
  }
  const mean = returns.reduce((a, b) => a + b, 0) / returns.length;
  const std = Math.sqrt(returns.reduce((a, b) => a + (b - mean) ** 2, 0) / returns.length);
  if (opts.json) {
    console.log(JSON.stringify({ policy: file, algo: policy.saved.algo, env: envId, seed: opts.seed, deterministic: !opts.stochastic, episodes: returns.length, mean_return: mean, std_return: std, returns, lengths }));
  } else {
    console.log(`mean return over ${returns.length} episodes: ${mean.toFixed(2)} ± ${std.toFixed(2)} (${opts.stochastic ? "sampled" : "greedy"} actions)`);
  }
}
