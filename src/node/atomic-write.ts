import { closeSync, fsyncSync, mkdirSync, openSync, renameSync, unlinkSync, writeSync } from "node:fs";
import { basename, dirname, join } from "node:path";

/**
 * Writes `bytes` to `path` so that a crash at any moment leaves either the old file or the new
 * one, never a torn one: write a temp file beside it, fsync, rename over, fsync the directory.
 */
export function writeFileAtomic(path: string, bytes: Uint8Array | string): void {
  const dir = dirname(path);
  const temp = join(dir, `.${basename(path)}.${process.pid}.${Date.now()}.tmp`);
  let fd: number;
  try {
    mkdirSync(dir, { recursive: true });
    fd = openSync(temp, "w");
  } catch (err) {
    throw new Error(`cannot write ${path}: ${dir} is not a writable directory (${(err as NodeJS.ErrnoException).code})`);
  }
  try {
    const data = typeof bytes === "string" ? Buffer.from(bytes) : bytes;
    let written = 0;
    while (written < data.length) written += writeSync(fd, data, written, data.length - written);
    fsyncSync(fd);
  } catch (err) {
    closeSync(fd);
    unlinkSync(temp);
    throw err;
  }
  closeSync(fd);
  renameSync(temp, path);
  try {
    const dirFd = openSync(dir, "r");
    fsyncSync(dirFd);
    closeSync(dirFd);
  } catch {
    // some filesystems refuse fsync on directories; the rename is still atomic
  }
}
