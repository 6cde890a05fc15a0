/**
 * Summarizes the runs of bench/learning-from-data.sh (learning from data on Pendulum-v1, and on
 * Hopper-v5 when the store holds its runs):
 *   BC and IQL: the mean return of the last evaluation (10 greedy episodes) and of the best one;
 *   SAC, SAC + demos, SAC + RLPD, demonstration-regularized SAC, SAC from IQL, IQL fine-tuned
 *   online: the env step at which the mean return of the last 5 training episodes first reaches
 *   the threshold (default −200, the expert's level), per seed and mean, and the mean return of
 *   the first 5 training episodes (where a run starts). IQL's online episodes are its
 *   `charts/episodic_return` metric, counted from the end of its offline steps. PPO on
 *   CartPole-v1 (with and without demonstration regularization): the same, to 475. Hopper-v5's
 *   online runs (`hopper-` prefixes): the same, to a fraction (default 0.8) of the return of the
 *   `hopper-expert` dataset (the expert's greedy episodes).
 *
 *   node --import tsx bench/learning-from-data.ts <store> [threshold] [hopper fraction]
 */
import { existsSync } from "node:fs";
import { datasetPath, openDatasetFile } from "../src/node/datasets.js";
import { RunStore } from "../src/track/store.js";

const [storeDir = "tsrl-runs", thresholdArg = "-200", hopperFractionArg = "0.8"] = process.argv.slice(2);
const threshold = Number(thresholdArg);
const hopperFraction = Number(hopperFractionArg);
// Hopper-v5's expert level is its recorded greedy episodes' mean return
const hopperExpertReturn = existsSync(datasetPath("hopper-expert", storeDir)) ? openDatasetFile("hopper-expert", storeDir).manifest.returns.mean : NaN;
const hopperThreshold = hopperFraction * hopperExpertReturn;
const store = new RunStore(storeDir);
const runs = store.listRuns().filter((r) => r.status === "finished");
// a group is its prefix and a seed number: "dr-kl1-s" is not "dr-kl1-sampling-s"
const byPrefix = (prefix: string) => runs.filter((r) => r.name.startsWith(prefix) && /^s?\d+$/.test(r.name.slice(prefix.length))).sort((a, b) => a.seed - b.seed);
const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
const fmt = (x: number) => (Number.isFinite(x) ? x.toFixed(1) : "—");

console.log("offline (greedy evaluation, 10 episodes each): last / best evaluation");
const offlinePrefixes = ["bc-pendulum-expert-", "bc-pendulum-mixed-", "iql-pendulum-expert-", "iql-pendulum-mixed-", "iql64-pendulum-mixed-"];
const hopperOffline = ["bc-hopper-expert-", "bc-hopper-medium-", "bc-hopper-mixed-", "iql-hopper-medium-", "iql-hopper-mixed-"];
for (const prefix of [...offlinePrefixes, ...hopperOffline]) {
  const rows = byPrefix(prefix).map((r) => {
    const evals = new Map<number, number[]>();
    for (const e of store.episodes(r.id)) evals.set(e.step, [...(evals.get(e.step) ?? []), e.return]);
    const means = [...evals.values()].map(mean);
    return { seed: r.seed, last: means.at(-1) ?? NaN, best: Math.max(...means) };
  });
  if (!rows.length) continue;
  console.log(`  ${prefix.padEnd(22)} ${rows.map((x) => `s${x.seed} ${fmt(x.last)} / ${fmt(x.best)}`).join("   ")}   mean ${fmt(mean(rows.map((x) => x.last)))} / ${fmt(mean(rows.map((x) => x.best)))}`);
}

const online = ["sac-s", "sac-demos-s", "rlpd-nodemos-s", "rlpd-s", "ls200-sac-s", "ls200-rlpd-nodemos-s", "ls200-rlpd-s"];
const demoReg = ["dr-sac-s", "dr-kl0.1-s", "dr-kl1-s", "dr-kl1-sampling-s", "dr-kl1decay-s", "dr-kl1decay-autotune-s", "o2o-iql-s", "o2o-iql-mixed-s", "iql64-online-s"];
// PPO on CartPole-v1, with and without demonstration regularization: to 475 (CartPole's solved level)
const cartpole = ["cp-ppo-s", "cp-ppo-kl0.1-s", "cp-ppo-kl1-s"];
const hopper = ["hopper-sac-s", "hopper-rlpd-nodemos-s", "hopper-rlpd-s", "hopper-rlpd-utd20-s"];
let header = "";
for (const [prefix, i] of [...online, ...demoReg, ...cartpole, ...hopper].map((p, k) => [p, k] as const)) {
  // each table's header is printed before its first group that has runs
  if (i === 0 || prefix === cartpole[0]) header = `online: env steps until the mean of the last 5 training episodes ≥ ${prefix === cartpole[0] ? 475 : threshold}`;
  if (prefix === hopper[0]) {
    header = `Hopper-v5 online: env steps until the mean of the last 5 training episodes ≥ ${fmt(hopperThreshold)} (${hopperFraction} × the hopper-expert dataset's return ${fmt(hopperExpertReturn)})`;
  }
  const target = cartpole.includes(prefix) ? 475 : hopper.includes(prefix) ? hopperThreshold : threshold;
  const rows = byPrefix(prefix).map((r) => {
    const offline = r.algo === "iql" ? (r.config.totalTimesteps as number) : 0;
    const episodes = offline
      ? store.metrics(r.id, "charts/episodic_return").map((m) => ({ step: m.step - offline, return: m.value as number }))
      : store.episodes(r.id);
    let reached = NaN;
    for (let i = 4; i < episodes.length; i++) {
      if (mean(episodes.slice(i - 4, i + 1).map((e) => e.return)) >= target) {
        reached = episodes[i]!.step;
        break;
      }
    }
    const first = mean(episodes.slice(0, 5).map((e) => e.return));
    return { seed: r.seed, reached, first, steps: (r.summary?.total_timesteps as number) - offline, wall: r.summary?.wall_s as number };
  });
  if (!rows.length) continue;
  if (header) console.log(header);
  header = "";
  const all = rows.every((x) => Number.isFinite(x.reached));
  console.log(
    `  ${prefix.padEnd(12)} ${rows.map((x) => `s${x.seed} ${Number.isFinite(x.reached) ? x.reached : `> ${x.steps}`}`).join("   ")}   mean ${all ? mean(rows.map((x) => x.reached)).toFixed(0) : "—"}   first 5 episodes ${fmt(mean(rows.map((x) => x.first)))}   (wall ${rows.map((x) => `${x.wall?.toFixed(0)} s`).join(", ")})`,
  );
}
store.close();
