/** `tsrl swe mine`: SWE-RL records from a git repository's history. */
import { type Command } from "commander";
import cliProgress from "cli-progress";
import { assertWritableFile, writeFileAtomic } from "../node/atomic-write.js";
import { mineRepository } from "../node/swe-mine.js";
import { integer } from "./options.js";

interface MineFlags {
  out: string;
  maxCommits: number;
  maxFiles: number;
  maxChangedLines: number;
  maxFileBytes: number;
  rev: string;
  json?: boolean;
  quiet?: boolean;
}

export function registerSwe(program: Command): void {
  const swe = program.command("swe").description("SWE-RL data: records of real code changes for the SWE-RL reward");
  swe
    .command("mine")
    .description("Walk a git repository's history into SWE-RL records (commit message, files before, files after, patch) as JSON Lines, with a deterministic train/validation/test split")
    .argument("<repo>", "path of a git repository")
    .requiredOption("-o, --out <file>", "JSON Lines file to write (for `tsrl eval --task swe:FILE`)")
    .option("--max-commits <n>", "commits to look at, newest first", integer("--max-commits", 1), 2000)
    .option("--max-files <n>", "skip commits touching more files", integer("--max-files", 1), 5)
    .option("--max-changed-lines <n>", "skip commits with more added + deleted lines", integer("--max-changed-lines", 1), 400)
    .option("--max-file-bytes <n>", "skip commits touching a larger file", integer("--max-file-bytes", 1), 100_000)
    .option("--rev <rev>", "revision to walk back from", "HEAD")
    .option("--json", "print the counts as one JSON line")
    .option("-q, --quiet", "no progress bar")
    .action((repo: string, flags: MineFlags) => {
      assertWritableFile(flags.out, "the records");
      const bar = !flags.quiet && !flags.json && process.stderr.isTTY ? new cliProgress.SingleBar({ format: " {bar} {value}/{total} commits | kept {kept}", hideCursor: true, stream: process.stderr }, cliProgress.Presets.shades_classic) : null;
      let started = false;
      const { records, stats } = mineRepository(repo, {
        maxCommits: flags.maxCommits,
        maxFiles: flags.maxFiles,
        maxChangedLines: flags.maxChangedLines,
        maxFileBytes: flags.maxFileBytes,
        rev: flags.rev,
        onProgress: (done, total, kept) => {
          if (!started) bar?.start(total, 0, { kept: 0 });
          started = true;
          bar?.update(done, { kept });
        },
      });
      bar?.stop();
      writeFileAtomic(flags.out, records.map((r) => JSON.stringify(r)).join("\n") + (records.length ? "\n" : ""));
      const splits = { train: 0, validation: 0, test: 0 };
      for (const r of records) splits[r.split]++;
      if (flags.json) {
        console.log(JSON.stringify({ out: flags.out, ...stats, splits }));
        return;
      }
      console.log(`${stats.kept} of ${stats.commits} commits kept -> ${flags.out} (train ${splits.train}, validation ${splits.validation}, test ${splits.test})`);
      for (const [why, n] of Object.entries(stats.skipped)) console.log(`  skipped ${n}: ${why}`);
    });
}
