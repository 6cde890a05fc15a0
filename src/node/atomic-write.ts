import { accessSync, closeSync, constants, fstatSync, fsyncSync, mkdirSync, openSync, readSync, renameSync, statSync, unlinkSync, writeSync } from "node:fs";
import { basename, dirname, join } from "node:path";

/**
 * Throws unless `writeFileAtomic(path, …)` can succeed as far as can be known now: `path` is not
 * a directory and its nearest existing parent is a writable directory. Call it before long work
 * whose result goes there, so a typo fails in a second, not after the work.
 */
export function assertWritableFile(path: string, what = path): void {
  const stat = statSync(path, { throwIfNoEntry: false });
  if (stat?.isDirectory()) throw new Error(`cannot write ${what}: ${path} is a directory; give a file name`);
  let dir = dirname(path);
  for (;;) {
    const parent = statSync(dir, { throwIfNoEntry: false });
    if (parent) {
      if (!parent.isDirectory()) throw new Error(`cannot write ${what}: ${dir} is not a directory`);
      try {
        accessSync(dir, constants.W_OK);
      } catch {
        throw new Error(`cannot write ${what}: directory ${dir} is not writable`);
      }
      return;
    }
    if (dirname(dir) === dir) return;
    dir = dirname(dir);
  }
}

/**
 * Reads a file of at most `maxBytes` (UTF-8), refusing larger ones after reading only that much:
 * a huge file, /dev/zero or a FIFO that never ends cannot exhaust memory or time.
 */
export function readFileBounded(path: string, maxBytes: number): string {
  const fd = openSync(path, "r");
  try {
    if (fstatSync(fd).isDirectory()) throw Object.assign(new Error(`${path} is a directory`), { code: "EISDIR" });
    const buffer = Buffer.alloc(maxBytes + 1);
    let length = 0;
    while (length <= maxBytes) {
      const n = readSync(fd, buffer, length, maxBytes + 1 - length, null);
      if (n === 0) break;
      length += n;
    }
    if (length > maxBytes) throw Object.assign(new Error(`larger than ${maxBytes} bytes`), { code: "EFBIG" });
    return buffer.toString("utf8", 0, length);
  } finally {
    closeSync(fd);
  }
}

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
  try {
    renameSync(temp, path);
  } catch (err) {
    unlinkSync(temp); // e.g. EISDIR: no temp file is left behind
    throw new Error(`cannot write ${path}: ${(err as NodeJS.ErrnoException).code === "EISDIR" ? "it is a directory" : (err as Error).message}`);
  }
  try {
    const dirFd = openSync(dir, "r");
    fsyncSync(dirFd);
    closeSync(dirFd);
  } catch {
    // some filesystems refuse fsync on directories; the rename is still atomic
  }
}
