/**
 * Gymnasium's "module:EnvId" ids for the command line: `--env ./my-env.js:MyEnv-v0` imports the
 * module (which calls `register`), then uses the id. The module is recorded with the id's spec,
 * runs and policies, so `tsrl enjoy`, `tsrl resume`, worker threads and the dashboard import it
 * again. MuJoCo's ids register on first use (`registerMujocoEnvs` loads its WebAssembly only
 * then). Node-only: it resolves paths against the working directory.
 */
import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { MUJOCO_ENV_IDS, registerMujocoEnvs } from "../envs/mujoco/index.js";
import { listEnvs, registeringFrom, spec } from "../envs/registry.js";

const ID_AT_END = /:((?:[\w.-]+\/)?[\w.-]+-v\d+)$/;

/** Splits "module:Id" (the module part may itself hold ":" on Windows drive letters); a bare id has no module. */
export function splitEnvArg(arg: string): { module: string | null; id: string } {
  const match = ID_AT_END.exec(arg);
  if (!match || match.index === 0) return { module: null, id: arg };
  return { module: arg.slice(0, match.index), id: match[1]! };
}

/** The URL `import()` takes for `module`: a path (relative to `cwd`), a file: URL, or a package name. */
export function moduleUrl(module: string, cwd = process.cwd()): string {
  if (module.startsWith("file:")) return module;
  if (module.startsWith(".") || module.startsWith("/") || /^[A-Za-z]:[\\/]/.test(module)) {
    const path = resolve(cwd, module);
    if (!existsSync(path)) throw new Error(`env module ${module} not found (looked at ${path})`);
    return pathToFileURL(path).href;
  }
  try {
    return pathToFileURL(createRequire(join(cwd, "noop.js")).resolve(module)).href;
  } catch {
    throw new Error(`env module "${module}" is neither a file (start paths with ./) nor an installed package`);
  }
}

/** Imports `module` unless already imported, recording it as the origin of the ids it registers. */
export async function importEnvModule(module: string): Promise<string[]> {
  const url = moduleUrl(module);
  const before = new Set(listEnvs().map((s) => s.id));
  try {
    await registeringFrom(url, () => import(url));
  } catch (err) {
    throw new Error(`importing env module ${module} failed: ${(err as Error).message}`, { cause: err });
  }
  return listEnvs()
    .map((s) => s.id)
    .filter((id) => !before.has(id));
}

/** Registers the built-in envs whose registration waits for a WebAssembly module (MuJoCo's) when `id` is one of them. */
export async function registerBuiltinEnv(id: string): Promise<void> {
  if (MUJOCO_ENV_IDS.includes(id) && !listEnvs().some((s) => s.id === id)) await registerMujocoEnvs();
}

/**
 * Resolves a command-line env argument: "Id" (registered already) or "module:Id" (imported first;
 * the module must register Id). Returns the id and the module URL recorded with it.
 */
export async function loadEnvArg(arg: string): Promise<{ id: string; module: string | null }> {
  const { module, id } = splitEnvArg(arg);
  if (module === null) {
    await registerBuiltinEnv(id);
    return { id, module: spec(id).module };
  }
  const added = await importEnvModule(module);
  let s;
  try {
    s = spec(id);
  } catch {
    throw new Error(`env module ${module} does not register ${id}; it registers ${added.length ? added.join(", ") : "nothing (does it call register({ id, entryPoint })?)"}`);
  }
  return { id, module: s.module };
}

/** Imports the module an env id was registered from, when a run or policy recorded one. */
export async function ensureEnvRegistered(id: string, module: string | null | undefined): Promise<void> {
  await registerBuiltinEnv(id);
  if (listEnvs().some((s) => s.id === id)) return;
  if (!module) {
    spec(id); // throws the registry's error with suggestions
    return;
  }
  await loadEnvArg(`${module}:${id}`);
}
