/** A private redis-server for a test: random port, AOF in a temp dir, a password; restartable. */
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";

export const REDIS_SERVER = "/usr/bin/redis-server";
/** why the Redis tests are skipped, or false when they run */
export const skipRedis: string | false = existsSync(REDIS_SERVER) ? false : `${REDIS_SERVER} is absent (apt-get install redis-server; .ci/run installs it)`;

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

export interface TestRedis {
  url: string;
  port: number;
  /** SIGTERM (AOF flushed) and wait for the exit */
  stop(): Promise<void>;
  start(): Promise<void>;
  /** stop, then remove the data directory */
  close(): Promise<void>;
}

export async function startRedis(): Promise<TestRedis> {
  const dir = mkdtempSync(join(tmpdir(), "tsrl-redis-"));
  const port = await freePort();
  const password = "s3cret-test";
  let child: ChildProcess | null = null;
  const start = async () => {
    const proc = spawn(REDIS_SERVER, ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "yes", "--dir", dir, "--requirepass", password], { stdio: ["ignore", "pipe", "pipe"] });
    child = proc;
    await new Promise<void>((resolve, reject) => {
      let out = "";
      proc.stdout!.on("data", (d: Buffer) => {
        out += d.toString();
        if (out.includes("Ready to accept connections")) resolve();
      });
      proc.once("exit", (code) => reject(new Error(`redis-server exited (${code}) before it was ready:\n${out}`)));
    });
  };
  const stop = async () => {
    const proc = child;
    if (!proc || proc.exitCode !== null) return;
    await new Promise<void>((resolve) => {
      proc.once("exit", () => resolve());
      proc.kill("SIGTERM");
    });
    child = null;
  };
  await start();
  return {
    url: `redis://:${password}@127.0.0.1:${port}`,
    port,
    stop,
    start,
    close: async () => {
      await stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export const OPENSSL = "/usr/bin/openssl";

/** A throwaway CA (ca.pem) and a certificate for `address` signed by it (server.pem, server.key), made in `dir`. */
export function makeCertificates(dir: string, address = "127.0.0.1"): void {
  const openssl = (...args: string[]) => {
    const r = spawnSync(OPENSSL, args, { cwd: dir, encoding: "utf8" });
    if (r.status !== 0) throw new Error(`openssl ${args.join(" ")}: ${r.stderr}`);
  };
  openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out", "ca.pem", "-days", "1", "-subj", "/CN=tsrl test CA");
  openssl("req", "-newkey", "rsa:2048", "-nodes", "-keyout", "server.key", "-out", "server.csr", "-subj", "/CN=tsrl test server");
  writeFileSync(join(dir, "san.cnf"), `subjectAltName=IP:${address}\n`);
  openssl("x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial", "-out", "server.pem", "-days", "1", "-extfile", "san.cnf");
}
