/**
 * The browser client, bundled by esbuild when the first dashboard starts and kept in memory.
 * Bundling at start (rather than shipping a prebuilt file) works the same from the TypeScript
 * sources (tests, tsx) and from the compiled dist/ — esbuild takes either — and guarantees the
 * page runs exactly the env and nn code of this checkout. echarts is served separately as its
 * prebuilt browser file, which needs no bundling.
 */
import { build } from "esbuild";
import { existsSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";

export interface Asset {
  body: Buffer;
  type: string;
}

let client: Promise<Asset> | null = null;

export function clientBundle(): Promise<Asset> {
  client ??= bundleClient().catch((err: unknown) => {
    client = null; // let a later start try again
    throw err;
  });
  return client;
}

async function bundleClient(): Promise<Asset> {
  const source = fileURLToPath(new URL("./client/main.ts", import.meta.url));
  const entry = existsSync(source) ? source : fileURLToPath(new URL("./client/main.js", import.meta.url));
  const result = await build({
    entryPoints: [entry],
    bundle: true,
    format: "esm",
    platform: "browser", // an accidental node: import fails the bundle instead of the page
    target: "es2022",
    minify: true,
    write: false,
    logLevel: "silent",
    legalComments: "none",
  });
  return { body: Buffer.from(result.outputFiles[0]!.contents), type: "text/javascript; charset=utf-8" };
}

let echartsFile: Asset | null = null;

export function echartsBundle(): Asset {
  echartsFile ??= { body: readFileSync(createRequire(import.meta.url).resolve("echarts/dist/echarts.min.js")), type: "text/javascript; charset=utf-8" };
  return echartsFile;
}

const envModules = new Map<string, Promise<Asset>>();

/**
 * A user's env module (recorded with a run: `tsrl train --env ./my-env.js:MyEnv-v0`) bundled for
 * the replay page. Its `import … from "tsrl"` is bound to the page's own tsrl (the client sets
 * `globalThis.__tsrl`), so the module registers into the registry the replay makes envs from.
 */
export function envModuleBundle(moduleUrl: string): Promise<Asset> {
  let bundle = envModules.get(moduleUrl);
  if (!bundle) {
    bundle = bundleEnvModule(moduleUrl).catch((err: unknown) => {
      envModules.delete(moduleUrl);
      throw err;
    });
    envModules.set(moduleUrl, bundle);
  }
  return bundle;
}

async function bundleEnvModule(moduleUrl: string): Promise<Asset> {
  if (!moduleUrl.startsWith("file:")) throw new Error(`the run's env module ${moduleUrl} is not a file`);
  const entry = fileURLToPath(moduleUrl);
  if (!existsSync(entry)) throw new Error(`the run's env module ${entry} no longer exists`);
  const result = await build({
    entryPoints: [entry],
    bundle: true,
    format: "esm",
    platform: "browser",
    target: "es2022",
    minify: true,
    write: false,
    logLevel: "silent",
    plugins: [
      {
        name: "tsrl-of-the-page",
        setup(b) {
          b.onResolve({ filter: /^tsrl$/ }, () => ({ path: "tsrl", namespace: "page-tsrl" }));
          b.onLoad({ filter: /.*/, namespace: "page-tsrl" }, () => ({ contents: "module.exports = globalThis.__tsrl;", loader: "js" }));
        },
      },
    ],
  });
  return { body: Buffer.from(result.outputFiles[0]!.contents), type: "text/javascript; charset=utf-8" };
}
