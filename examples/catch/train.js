/**
 * Train PPO on Catch from your own script, check it, evaluate it, save the policy:
 *   node train.js            (then: npx tsrl export catch.tsrlpolicy --out catch-policy.js)
 */
import { writeFileSync } from "node:fs";
import { PPO, checkEnv, evaluatePolicy, make } from "tsrl";
import "./catch.js"; // registers Catch-v0

checkEnv(make("Catch-v0")); // Gymnasium's env checks: throws with what to fix

const agent = new PPO({ envId: "Catch-v0", seed: 1, totalTimesteps: Number(process.env.STEPS ?? 100_000) });
const result = agent.learn({
  onProgress: (p) => process.stdout.write(`\rstep ${p.step}/${p.totalSteps}  mean return (last 20) ${p.recentMeanReturn.toFixed(2)}  `),
});
const evaluation = evaluatePolicy(agent, "Catch-v0", { episodes: 100, seed: 1000 });
console.log(`\ntrained ${result.total_timesteps} steps in ${result.wall_s.toFixed(1)} s; greedy return over 100 episodes: ${evaluation.mean.toFixed(2)}`);
writeFileSync("catch.tsrlpolicy", agent.savePolicy());
console.log("saved catch.tsrlpolicy; next: npx tsrl export catch.tsrlpolicy --out catch-policy.js, then serve this folder and open index.html");
