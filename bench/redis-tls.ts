/**
 * What TLS costs the Redis transport: one redis-server (a password) with a plain and a TLS port, the
 * same stream round per segment over each — XADD of a CartPole-sized segment (4 envs × 128 steps,
 * 28.8 KB), XREADGROUP, XACK, XDEL — in alternating rounds, and the time to connect (TCP + TLS
 * handshake + AUTH + PING). The payload is opaque bytes: this measures the transport, not the codec.
 * Run: /work/team/quiet.sh node --import tsx bench/redis-tls.ts [--rounds R] [--segments N]
 */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { Redis, type RedisOptions } from "ioredis";
import { GROUP } from "../src/distributed/redis.js";
import { REDIS_SERVER, freePort, makeCertificates } from "../test/redis-server.js";

const flag = (name: string, fallback: number) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
};
const rounds = flag("--rounds", 5);
const perRound = flag("--segments", 200);
const PASSWORD = "bench-s3cret";
const SEGMENT_BYTES = 28_800;

const dir = mkdtempSync(join(tmpdir(), "tsrl-bench-tls-"));
let server: ChildProcess | null = null;
try {
  makeCertificates(dir);
  const [plainPort, tlsPort] = [await freePort(), await freePort()];
  const proc = spawn(REDIS_SERVER, ["--port", String(plainPort), "--tls-port", String(tlsPort), "--bind", "127.0.0.1", "--save", "", "--dir", dir, "--tls-cert-file", "server.pem", "--tls-key-file", "server.key", "--tls-ca-cert-file", "ca.pem", "--tls-auth-clients", "no", "--requirepass", PASSWORD], { cwd: dir, stdio: ["ignore", "pipe", "inherit"] });
  server = proc;
  await new Promise<void>((resolve, reject) => {
    let out = "";
    proc.stdout!.on("data", (d: Buffer) => (out += d.toString()).includes("Ready to accept connections") && resolve());
    proc.once("exit", (code) => reject(new Error(`redis-server exited (${code}):\n${out}`)));
  });
  const ca = readFileSync(join(dir, "ca.pem"));
  const transports: Record<string, [string, RedisOptions]> = {
    plain: [`redis://:${PASSWORD}@127.0.0.1:${plainPort}`, {}],
    tls: [`rediss://:${PASSWORD}@127.0.0.1:${tlsPort}`, { tls: { ca } }],
  };
  const payload = Buffer.alloc(SEGMENT_BYTES, 7);

  /** ms per segment for `n` stream rounds on a connected client */
  const streamRound = async (client: Redis, key: string, n: number) => {
    const start = performance.now();
    for (let k = 0; k < n; k++) {
      await client.xadd(key, "*", "kind", "bench", "data", payload);
      const reply = (await client.xreadgroupBuffer("GROUP", GROUP, "c", "COUNT", 1, "STREAMS", key, ">")) as [Buffer, [Buffer, Buffer[]][]][];
      const [id, fields] = reply[0]![1][0]!;
      if (fields[3]!.length !== SEGMENT_BYTES) throw new Error("short read");
      await client.xack(key, GROUP, id);
      await client.xdel(key, id);
    }
    return (performance.now() - start) / n;
  };
  /** ms to connect, authenticate and get PONG */
  const connectMs = async ([url, options]: [string, RedisOptions]) => {
    const start = performance.now();
    const client = new Redis(url, { ...options, lazyConnect: true });
    await client.connect();
    await client.ping();
    const ms = performance.now() - start;
    client.disconnect();
    return ms;
  };

  const clients = Object.fromEntries(Object.entries(transports).map(([name, [url, options]]) => [name, new Redis(url, options)]));
  for (const [name, client] of Object.entries(clients)) {
    await client.xgroup("CREATE", `bench:${name}`, GROUP, "0", "MKSTREAM");
    await streamRound(client, `bench:${name}`, 20); // warm-up
  }
  const ms: Record<string, number[]> = { plain: [], tls: [] };
  const connect: Record<string, number[]> = { plain: [], tls: [] };
  for (let r = 0; r < rounds; r++) {
    for (const name of Object.keys(transports)) {
      ms[name]!.push(await streamRound(clients[name]!, `bench:${name}`, perRound));
      for (let c = 0; c < 5; c++) connect[name]!.push(await connectMs(transports[name]!));
    }
  }
  for (const client of Object.values(clients)) client.disconnect();
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;
  const row = {
    segment_bytes: SEGMENT_BYTES,
    rounds,
    segments_per_round: perRound,
    plain_ms_per_segment: ms.plain!.map((x) => +x.toFixed(3)),
    tls_ms_per_segment: ms.tls!.map((x) => +x.toFixed(3)),
    tls_over_plain_median: +(median(ms.tls!) / median(ms.plain!)).toFixed(2),
    plain_connect_ms_median: +median(connect.plain!).toFixed(2),
    tls_connect_ms_median: +median(connect.tls!).toFixed(2),
    load_average: +loadavg()[0]!.toFixed(1),
  };
  console.log(JSON.stringify(row));
} finally {
  server?.kill("SIGTERM");
  rmSync(dir, { recursive: true, force: true });
}
