/**
 * Training speed against CleanRL at the same hyperparameters (defaults, 500k steps, seed 1):
 * total wall-clock and time until the 20-episode mean return first reaches 475 on CartPole-v1.
 * CleanRL's figures were measured on this machine kind, idle (../shared/notes/peers.md): PyTorch
 * 1.13 CPU, using both cores. tsrl runs on one thread. Run this on an idle machine.
 *
 *   npm run bench:train [-- --algo ppo|dqn --seed 1 --backend wasm|js]
 */
import { ALGORITHMS } from "../src/algos/index.js";
import { createBackend } from "../src/nn/backend.js";

const CLEANRL = {
  ppo: { totalS: [92, 101], to475S: 29, to475Step: 147_888 },
  dqn: { totalS: [130, 140], to475S: 70, to475Step: 268_243 },
} as const;

const argv = process.argv.slice(2);
const flag = (name: string) => {
  const i = argv.indexOf(name);
  return i >= 0 ? argv[i + 1] : undefined;
};
const algos = (flag("--algo") ?? "ppo,dqn").split(",") as (keyof typeof CLEANRL)[];
const seed = Number(flag("--seed") ?? 1);
const backend = createBackend((flag("--backend") ?? "wasm") as "wasm" | "js");

console.log(`| algo | total wall (s) | CleanRL total (s) | speed-up | time to 20-ep mean ≥ 475 (s, step) | CleanRL (s, step) | speed-up | final mean return |`);
console.log("|---|---|---|---|---|---|---|---|");
for (const algo of algos) {
  const entry = ALGORITHMS[algo];
  if (!entry) throw new Error(`unknown algo ${algo}`);
  const agent = entry.create(entry.resolve({ envId: "CartPole-v1", seed }), { backend });
  const window: number[] = [];
  let reached: { s: number; step: number } | null = null;
  const result = agent.learn({
    onEpisode(e) {
      window.push(e.return);
      if (window.length > 20) window.shift();
      if (!reached && window.length === 20 && window.reduce((a, b) => a + b, 0) / 20 >= 475) reached = { s: e.wallSeconds, step: e.step };
    },
  });
  const ref = CLEANRL[algo];
  const hit = reached as { s: number; step: number } | null;
  const total = `${(ref.totalS[0] / result.wall_s).toFixed(1)}–${(ref.totalS[1] / result.wall_s).toFixed(1)}×`;
  console.log(
    `| ${algo} | ${result.wall_s.toFixed(1)} | ${ref.totalS[0]}–${ref.totalS[1]} | ${total} | ${hit ? `${hit.s.toFixed(1)} (${hit.step})` : "not reached"} | ${ref.to475S} (${ref.to475Step}) | ${hit ? `${(ref.to475S / hit.s).toFixed(1)}×` : "—"} | ${result.final_mean_return.toFixed(1)} |`,
  );
}
