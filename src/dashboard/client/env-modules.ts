/**
 * A run on the user's own env replays in the page: the env module recorded with the run is
 * fetched (bundled by the server) and registers into this page's registry. Its `import … from
 * "tsrl"` resolves to `globalThis.__tsrl`: the env-authoring half of tsrl that this page runs.
 */
import { checkEnv, PassiveEnvChecker } from "../../envs/checker.js";
import { Env, KernelEnv, TimeLimit, Wrapper } from "../../envs/env.js";
import { isKernel, kernelOf, listEnvs, make, makeVec, register, spec } from "../../envs/registry.js";
import { flatdim, flatten, flattenSpace, unflatten } from "../../envs/space-utils.js";
import * as spaces from "../../envs/spaces.js";
import { SyncVectorEnv } from "../../envs/sync-vector.js";
import * as wrappers from "../../envs/wrappers/index.js";
import { Generator } from "../../rng/generator.js";
import { PCG64Bank } from "../../rng/pcg64.js";
import type { RunDetail } from "../types.js";

const pageTsrl = {
  ...spaces,
  spaces,
  wrappers,
  Env,
  KernelEnv,
  TimeLimit,
  Wrapper,
  checkEnv,
  PassiveEnvChecker,
  SyncVectorEnv,
  register,
  make,
  makeVec,
  spec,
  listEnvs,
  isKernel,
  kernelOf,
  flatdim,
  flatten,
  flattenSpace,
  unflatten,
  Generator,
  PCG64Bank,
};

const loaded = new Set<string>();

/** Makes sure `envId` is registered in this page: built-ins are, a user's env comes from its run's module. */
export async function ensureEnv(run: RunDetail, envId: string): Promise<void> {
  if (listEnvs().some((s) => s.id === envId)) return;
  const module = run.versions.envModule;
  if (typeof module !== "string") throw new Error(`${envId} is not an env this page knows, and the run recorded no env module to load it from`);
  if (!loaded.has(run.id)) {
    (globalThis as { __tsrl?: unknown }).__tsrl = pageTsrl;
    const url = `/api/runs/${encodeURIComponent(run.id)}/env-module.js`;
    // fetched first for the server's reason when it cannot be served (import() only says "failed")
    const check = await fetch(url, { cache: "no-store" });
    if (!check.ok) throw new Error(((await check.json().catch(() => null)) as { error?: string } | null)?.error ?? `${url}: HTTP ${check.status}`);
    await import(/* @vite-ignore */ url);
    loaded.add(run.id);
  }
  if (!listEnvs().some((s) => s.id === envId)) throw new Error(`the run's env module (${module.split("/").pop()}) did not register ${envId}`);
}
