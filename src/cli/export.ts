/** `tsrl export <run|policy> --out policy.js`: a saved policy as one self-contained ES module, or `--format onnx`. */
import { type Command, Option } from "commander";
import { policyToOnnx } from "../export/onnx.js";
import { policyModuleSource } from "../export/policy-module.js";
import { assertWritableFile, writeFileAtomic } from "../node/atomic-write.js";
import { loadPolicy } from "./enjoy.js";

export function registerExport(program: Command): void {
  program
    .command("export")
    .description("Write a saved policy as one ES module with the weights inlined and no imports: act(obs) and actBatch(obs, n), in browsers and Node")
    .argument("<policy>", "a run's id, id prefix or name, or a .tsrlpolicy file")
    .requiredOption("-o, --out <file>", "the file to write: .js/.mjs (an ES module), or .onnx with --format onnx")
    .addOption(new Option("--format <format>", "esm: a self-contained ES module; onnx: an ONNX model (opset 13; input obs [N, size], output action)").choices(["esm", "onnx"]).default("esm"))
    .option("--store <dir>", "run store directory (default: $TSRL_STORE or ./tsrl-runs)")
    .action((target: string, opts: { out: string; store?: string; format: "esm" | "onnx" }) => {
      if (opts.format === "onnx") {
        if (!opts.out.endsWith(".onnx")) throw new Error(`--out must name a .onnx file with --format onnx, got "${opts.out}"`);
        assertWritableFile(opts.out, `--out ${opts.out}`);
        const { bytes, source } = loadPolicy(target, opts.store);
        const model = policyToOnnx(bytes, { source });
        writeFileAtomic(opts.out, model);
        console.log(`wrote ${opts.out} (${(model.length / 1024).toFixed(1)} KB): input "obs" [N, size] float32, output "action"`);
        return;
      }
      if (!/\.m?js$/.test(opts.out)) throw new Error(`--out must name a .js or .mjs file (an ES module), got "${opts.out}"`);
      assertWritableFile(opts.out, `--out ${opts.out}`);
      const { bytes, source } = loadPolicy(target, opts.store);
      const text = policyModuleSource(bytes, { source });
      writeFileAtomic(opts.out, new TextEncoder().encode(text));
      console.log(`wrote ${opts.out} (${(text.length / 1024).toFixed(1)} KB): import { act } from "./${opts.out.split(/[\\/]/).pop()}"; act(observation)`);
    });
}
