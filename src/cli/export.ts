/** `tsrl export <run|policy> --out policy.js`: a saved policy as one self-contained ES module. */
import type { Command } from "commander";
import { policyModuleSource } from "../export/policy-module.js";
import { assertWritableFile, writeFileAtomic } from "../node/atomic-write.js";
import { loadPolicy } from "./enjoy.js";

export function registerExport(program: Command): void {
  program
    .command("export")
    .description("Write a saved policy as one ES module with the weights inlined and no imports: act(obs) and actBatch(obs, n), in browsers and Node")
    .argument("<policy>", "a run's id, id prefix or name, or a .tsrlpolicy file")
    .requiredOption("-o, --out <file>", "the .js (or .mjs) file to write")
    .option("--store <dir>", "run store directory (default: $TSRL_STORE or ./tsrl-runs)")
    .action((target: string, opts: { out: string; store?: string }) => {
      if (!/\.m?js$/.test(opts.out)) throw new Error(`--out must name a .js or .mjs file (an ES module), got "${opts.out}"`);
      assertWritableFile(opts.out, `--out ${opts.out}`);
      const { bytes, source } = loadPolicy(target, opts.store);
      const text = policyModuleSource(bytes, { source });
      writeFileAtomic(opts.out, new TextEncoder().encode(text));
      console.log(`wrote ${opts.out} (${(text.length / 1024).toFixed(1)} KB): import { act } from "./${opts.out.split(/[\\/]/).pop()}"; act(observation)`);
    });
}
