/** `tsrl eval`: score a served LLM on a text task, tracked in the run store like a training run. */
import { type Command, InvalidArgumentError, Option } from "commander";
import cliProgress from "cli-progress";
import { join } from "node:path";
import { writeFileAtomic } from "../node/atomic-write.js";
import { loadSweRecords } from "../node/swe-mine.js";
import { startRun } from "../track/tracker.js";
import { storeDirectory } from "../track/store.js";
import { TEXT_SPLITS, TextEnv, type TextSplit, type TextTask } from "../text/env.js";
import { type EvalSummary, evaluateSampler, type ScoredSample, summarizeEval } from "../text/evaluate.js";
import { OpenAIClient, type SamplingParams } from "../text/openai-client.js";
import { makeTextTask } from "../text/registry.js";
import { sweTask } from "../text/swe-rl/task.js";
import { integer } from "./options.js";

interface EvalFlags {
  task: string;
  policy: string;
  model?: string;
  samples: number;
  problems: number;
  split: TextSplit;
  seed: number;
  temperature: number;
  topP?: number;
  maxTokens: number;
  chat?: boolean;
  logprobs?: boolean;
  concurrency: number;
  timeout: number;
  retries: number;
  option: string[];
  apiKey?: string;
  store?: string;
  name?: string;
  json?: boolean;
  quiet?: boolean;
}

function number(name: string, min: number, max: number) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isFinite(n) || n < min || n > max) throw new InvalidArgumentError(`${name} must be a number from ${min} to ${max}, got "${value}"`);
    return n;
  };
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

/** `--option digits=3` pairs as task options (numbers and booleans parsed). */
export function parseTaskOptions(pairs: readonly string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const pair of pairs) {
    const eq = pair.indexOf("=");
    if (eq <= 0) throw new InvalidArgumentError(`--option takes key=value (e.g. --option digits=3), got "${pair}"`);
    const key = pair.slice(0, eq);
    const raw = pair.slice(eq + 1);
    out[key] = raw === "true" ? true : raw === "false" ? false : raw !== "" && Number.isFinite(Number(raw)) ? Number(raw) : raw;
  }
  return out;
}

/** The task named by --task: a registered id or `swe:FILE.jsonl`. */
function resolveTask(spec: string, options: Record<string, unknown>): TextTask {
  if (spec.startsWith("swe:")) {
    if (Object.keys(options).length) throw new InvalidArgumentError("swe: tasks take no --option");
    return sweTask(loadSweRecords(spec.slice(4)), spec);
  }
  return makeTextTask(spec, options);
}

function parsePolicy(policy: string): string {
  if (!policy.startsWith("openai:")) throw new InvalidArgumentError(`--policy must be openai:<server URL>, e.g. openai:http://127.0.0.1:8080/v1, got "${policy}"`);
  return policy.slice("openai:".length);
}

const pct = (x: number) => `${(100 * x).toFixed(1)}%`;

function formatSummary(s: EvalSummary): string[] {
  const iv = (i: { estimate: number; lower: number; upper: number }, f: (x: number) => string) => `${f(i.estimate)} [${f(i.lower)}, ${f(i.upper)}]`;
  return [
    `mean reward ${iv(s.meanReward, (x) => x.toFixed(4))}`,
    `accuracy    ${iv(s.accuracy, pct)}`,
    ...Object.entries(s.passAtK).map(([k, v]) => `pass@${k}`.padEnd(12) + iv(v, pct)),
    `truncated   ${pct(s.truncated)} of samples (finish_reason "length")`,
  ];
}

async function evalCommand(flags: EvalFlags): Promise<void> {
  const baseUrl = parsePolicy(flags.policy);
  if (!flags.model) throw new InvalidArgumentError("--model is required: the server's model id (GET /v1/models lists them)");
  const taskOptions = parseTaskOptions(flags.option);
  const task = resolveTask(flags.task, taskOptions);
  const env = new TextEnv(task, { split: flags.split, seed: flags.seed });
  const problems = task.fixed ? task.fixed.problems.filter((p) => task.fixed!.splitOf(p) === flags.split).slice(0, flags.problems) : env.sample(flags.problems);
  if (!problems.length) throw new Error(`${flags.task} has no ${flags.split} problems (try --split train)`);

  const client = new OpenAIClient({ baseUrl, model: flags.model, apiKey: flags.apiKey ?? process.env.OPENAI_API_KEY, timeoutMs: flags.timeout * 1000, maxRetries: flags.retries, concurrency: flags.concurrency });
  const sampling: SamplingParams = { n: flags.samples, seed: flags.seed, temperature: flags.temperature, topP: flags.topP, maxTokens: flags.maxTokens, logprobs: flags.logprobs };
  const config = {
    task: flags.task,
    taskOptions,
    split: flags.split,
    problems: problems.length,
    policy: flags.policy,
    model: flags.model,
    endpoint: flags.chat ? "chat/completions" : "completions",
    sampling,
    concurrency: flags.concurrency,
  };
  const run = startRun({ algo: "eval", env: flags.task, seed: flags.seed, name: flags.name, store: flags.store, config });
  const samplesFile = join(storeDirectory(flags.store), "evals", `${run.runId}.samples.jsonl`);
  console.error(`run ${run.run.id} (${run.run.name}): ${problems.length} ${flags.split} problems of ${flags.task} × ${flags.samples} samples from ${flags.model} at ${client.baseUrl}`);

  const bar = !flags.quiet && !flags.json && process.stderr.isTTY ? new cliProgress.SingleBar({ format: " {bar} {value}/{total} problems | mean reward {reward} | accuracy {acc} | ETA {eta_formatted}", hideCursor: true, stream: process.stderr }, cliProgress.Presets.shades_classic) : null;
  bar?.start(problems.length, 0, { reward: "-", acc: "-" });
  const scored: ScoredSample[] = [];
  let rewardSum = 0;
  let correctCount = 0;
  const controller = new AbortController();
  const onSigint = () => {
    if (!controller.signal.aborted) {
      bar?.stop();
      console.error("interrupted: keeping the samples scored so far (Ctrl-C again to quit at once)");
      controller.abort();
    } else {
      process.exit(130);
    }
  };
  process.on("SIGINT", onSigint);
  let interrupted = false;
  try {
    const result = await evaluateSampler({
      task,
      problems,
      concurrency: flags.concurrency,
      signal: controller.signal,
      sample: (problem, signal) => (flags.chat ? client.chat(problem.messages ?? [{ role: "user", content: problem.prompt }], sampling, signal) : client.complete(problem.prompt, sampling, signal)),
      onScored: (samples, done) => {
        for (const s of samples) {
          scored.push(s);
          rewardSum += s.reward;
          if (s.correct) correctCount++;
          run.logEpisode({ step: scored.length, return: s.reward, length: s.text.length });
        }
        run.log(scored.length, { "eval/running_mean_reward": rewardSum / scored.length, "eval/running_accuracy": correctCount / scored.length });
        bar?.update(done, { reward: (rewardSum / scored.length).toFixed(3), acc: pct(correctCount / scored.length) });
      },
    });
    interrupted = result.interrupted;
  } catch (err) {
    bar?.stop();
    saveSamples(samplesFile, scored);
    run.fail(err);
    throw new Error(`${err instanceof Error ? err.message : String(err)} (run ${run.run.id} marked failed; ${scored.length} scored samples kept in ${samplesFile})`);
  } finally {
    process.off("SIGINT", onSigint);
  }
  bar?.stop();
  saveSamples(samplesFile, scored);
  if (!scored.length) {
    run.fail("interrupted before any sample was scored");
    throw new Error(`interrupted before any sample was scored (run ${run.run.id} marked failed)`);
  }
  const summary = summarizeEval(scored, { seed: flags.seed });
  const metrics: Record<string, number> = {
    "eval/mean_reward": summary.meanReward.estimate,
    "eval/mean_reward_lower": summary.meanReward.lower,
    "eval/mean_reward_upper": summary.meanReward.upper,
    "eval/accuracy": summary.accuracy.estimate,
    "eval/accuracy_lower": summary.accuracy.lower,
    "eval/accuracy_upper": summary.accuracy.upper,
    "eval/truncated": summary.truncated,
  };
  for (const [k, v] of Object.entries(summary.passAtK)) Object.assign(metrics, { [`eval/pass@${k}`]: v.estimate, [`eval/pass@${k}_lower`]: v.lower, [`eval/pass@${k}_upper`]: v.upper });
  run.log(scored.length, metrics);
  const record = { task: flags.task, model: flags.model, split: flags.split, seed: flags.seed, samples_file: samplesFile, interrupted, scored_samples: scored.length, ...summary };
  run.finish(record);
  if (flags.json) {
    console.log(JSON.stringify({ run_id: run.run.id, ...record }));
    return;
  }
  console.log(`${flags.task} (${flags.split}), ${summary.problems} problems × ${summary.samplesPerProblem} samples, ${flags.model}${interrupted ? " — interrupted, partial" : ""}; 95% bootstrap intervals over problems:`);
  for (const line of formatSummary(summary)) console.log(`  ${line}`);
  console.log(`run ${run.run.id} (${run.run.name}) recorded in the store; samples: ${samplesFile}`);
}

function saveSamples(file: string, samples: readonly ScoredSample[]): void {
  writeFileAtomic(file, samples.map((s) => JSON.stringify(s)).join("\n") + (samples.length ? "\n" : ""));
}

export function registerEval(program: Command): void {
  program
    .command("eval")
    .description("Score a model behind an OpenAI-compatible server on a text task: mean reward, accuracy, unbiased pass@k with bootstrap CIs, tracked in the run store")
    .requiredOption("--task <id>", "a text task (see `tsrl tasks`) or swe:FILE.jsonl (records from `tsrl swe mine`)")
    .requiredOption("--policy <spec>", "openai:<server URL>, e.g. openai:http://127.0.0.1:8080/v1")
    .option("--model <name>", "the server's model id")
    .option("-k, --samples <n>", "completions per problem (pass@k up to k = n)", integer("--samples", 1, 1024), 1)
    .option("-n, --problems <n>", "problems to evaluate", integer("--problems", 1), 100)
    .addOption(new Option("--split <split>", "which split to draw problems from").choices([...TEXT_SPLITS]).default("test"))
    .option("-s, --seed <n>", "seeds the problems, the sampling (first request's seed) and the bootstrap", integer("--seed", 0), 0)
    .option("--temperature <t>", "sampling temperature", number("--temperature", 0, 10), 1)
    .option("--top-p <p>", "nucleus sampling", number("--top-p", 0, 1))
    .option("--max-tokens <n>", "tokens per completion at most", integer("--max-tokens", 1), 512)
    .option("--chat", "use /v1/chat/completions with the task's messages (default: /v1/completions with the prompt text)")
    .option("--logprobs", "ask for token log-probabilities")
    .option("--concurrency <n>", "requests in flight at most", integer("--concurrency", 1, 256), 4)
    .option("--timeout <s>", "seconds per request before it is retried", integer("--timeout", 1), 120)
    .option("--retries <n>", "retries per request (network errors, timeouts, 429, 5xx)", integer("--retries", 0, 20), 4)
    .option("--option <key=value>", "a task option, repeatable (e.g. --option digits=3)", collect, [])
    .option("--api-key <key>", "bearer token (default: $OPENAI_API_KEY)")
    .option("--store <dir>", "run store directory (default: $TSRL_STORE or ./tsrl-runs)")
    .option("--name <name>", "run name")
    .option("--json", "print the summary as one JSON line")
    .option("-q, --quiet", "no progress bar")
    .action(evalCommand);
}
