/** Loads Gymnasium 1.4 reference trajectories vendored in test/fixtures/refs/classic (see its SOURCE.txt). */
import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

export interface RefStep {
  a: number | number[];
  obs: number[];
  r: number;
  term: boolean;
  trunc: boolean;
  state: number[];
}
export interface RefEpisode {
  env: string;
  seed: number;
  reset_obs: number[];
  reset_state: number[];
  steps: RefStep[];
}

export const REFS_DIR = join(dirname(fileURLToPath(import.meta.url)), "fixtures", "refs", "classic");

export function loadRefs(envId: string): RefEpisode[] {
  const file = join(REFS_DIR, `${envId}.jsonl`);
  if (!existsSync(file)) throw new Error(`reference trajectories not found at ${file}`);
  return readFileSync(file, "utf8")
    .split("\n")
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l) as RefEpisode);
}
