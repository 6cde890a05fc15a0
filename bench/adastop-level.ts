/**
 * AdaStop's type-I error by simulation: every agent's scores are N(0, 1), so any decision other
 * than "equal" is a false rejection. For each setting, `--draws` independent experiments with the
 * default `level: "reference"` (the reference implementation's signed permutation quantile, about
 * 2·alpha for two agents: 24/252 = 9.5 % at K=1, n=5, alpha=0.05) and with `level: "strict"`
 * (absolute values, all running agents permuted jointly: family-wise error ≤ alpha). Prints each
 * rate with its binomial standard error.
 *
 *   node --import tsx bench/adastop-level.ts [--draws 2000]
 */
import { Random } from "../src/rng/random.js";
import { AdaStop, type LevelRule } from "../src/stats/adastop.js";

const argv = process.argv.slice(2);
const flagIndex = argv.indexOf("--draws");
const draws = flagIndex >= 0 ? Number(argv[flagIndex + 1]) : 2000;

interface Setting {
  agents: number;
  nGroups: number;
  sizeGroup: number;
  nPermutations: number;
}

const ALPHA = 0.05;
const SETTINGS: Setting[] = [
  { agents: 2, nGroups: 1, sizeGroup: 5, nPermutations: 10000 },
  { agents: 2, nGroups: 3, sizeGroup: 5, nPermutations: 10000 },
  { agents: 3, nGroups: 2, sizeGroup: 5, nPermutations: 2000 },
  { agents: 4, nGroups: 1, sizeGroup: 5, nPermutations: 2000 },
  { agents: 2, nGroups: 3, sizeGroup: 10, nPermutations: 2000 },
];

function rejectionRate(setting: Setting, level: LevelRule): number {
  const random = new Random(20240611);
  const agents = Array.from({ length: setting.agents }, (_, i) => `agent${i}`);
  let rejections = 0;
  for (let draw = 0; draw < draws; draw++) {
    const adastop = new AdaStop({ ...setting, agents, alpha: ALPHA, seed: draw, level });
    while (!adastop.isFinished) {
      adastop.partialCompare(Object.fromEntries(adastop.agentsToRun.map((name) => [name, Array.from({ length: setting.sizeGroup }, () => random.normal())])));
    }
    if (Object.values(adastop.decisions).some((d) => d !== "equal")) rejections++;
  }
  return rejections / draws;
}

console.log(`AdaStop false-rejection rate under the null, alpha = ${ALPHA}, ${draws} draws per cell (± one standard error)`);
for (const setting of SETTINGS) {
  const cells = (["reference", "strict"] as const).map((level) => {
    const start = performance.now();
    const rate = rejectionRate(setting, level);
    const se = Math.sqrt((rate * (1 - rate)) / draws);
    return `${level}: ${(100 * rate).toFixed(2)} % ± ${(100 * se).toFixed(2)} (${((performance.now() - start) / 1000).toFixed(1)} s)`;
  });
  console.log(`L=${setting.agents} K=${setting.nGroups} n=${setting.sizeGroup} B=${setting.nPermutations}  ${cells.join("   ")}`);
}
