/** What a run records about the software and machine it ran on. */
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { arch, cpus, platform, release } from "node:os";
import { dirname, join } from "node:path";

const pkgUrl = new URL("../../package.json", import.meta.url);

export function tsrlVersion(): string {
  return (JSON.parse(readFileSync(pkgUrl, "utf8")) as { version: string }).version;
}

export function collectVersions(cwd = process.cwd()): Record<string, unknown> {
  const pkg = JSON.parse(readFileSync(pkgUrl, "utf8")) as { version: string; dependencies?: Record<string, string> };
  const require = createRequire(pkgUrl);
  const dependencies: Record<string, string | null> = {};
  for (const name of Object.keys(pkg.dependencies ?? {})) dependencies[name] = installedVersion(require, name);
  const cpuList = cpus();
  return {
    tsrl: pkg.version,
    node: process.versions.node,
    os: `${platform()} ${release()} ${arch()}`,
    cpu: cpuList[0]?.model ?? "unknown",
    cpu_count: cpuList.length,
    dependencies,
    git: gitState(cwd),
  };
}

/**
 * A dependency's installed version: from its package.json, or, where its exports hide that file
 * (commander), from the package.json found above its resolved entry point. null if not installed.
 */
function installedVersion(require: NodeRequire, name: string): string | null {
  try {
    return (require(`${name}/package.json`) as { version: string }).version;
  } catch {
    // hidden by exports, or not installed
  }
  try {
    for (let dir = dirname(require.resolve(name)); dir !== dirname(dir); dir = dirname(dir)) {
      const file = join(dir, "package.json");
      if (!existsSync(file)) continue;
      const found = JSON.parse(readFileSync(file, "utf8")) as { name?: string; version?: string };
      if (found.name === name) return found.version ?? null;
    }
  } catch {
    // not resolvable (e.g. a types-only package)
  }
  return null;
}

/** The commit and dirty flag (changes to tracked files; untracked ones would make big trees slow) of the user's working directory, or null outside a git repository. */
function gitState(cwd: string): { commit: string; dirty: boolean } | null {
  try {
    const run = (...args: string[]) => execFileSync("git", args, { cwd, encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }).trim();
    return { commit: run("rev-parse", "HEAD"), dirty: run("status", "--porcelain", "--untracked-files=no").length > 0 };
  } catch {
    return null;
  }
}
