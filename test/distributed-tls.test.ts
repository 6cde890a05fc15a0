/** Distributed PPO over rediss:// (TLS) with a password: a throwaway CA, Debian's redis-server with TLS, learner and actor through the CLI. */
import assert from "node:assert/strict";
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { assertSingleProcessResult } from "./cli-run.js";
import { RunStore } from "../src/track/store.js";
import { OPENSSL, REDIS_SERVER, freePort, makeCertificates, skipRedis } from "./redis-server.js";

const PASSWORD = "tls-s3cret";

/** why these tests are skipped (no redis-server, no openssl, a redis-server built without TLS), or false */
function whySkip(): string | false {
  if (skipRedis) return skipRedis;
  if (!existsSync(OPENSSL)) return `${OPENSSL} is absent (apt-get install openssl)`;
  // without a certificate a TLS build refuses to start ("Failed to configure TLS"); a build without TLS rejects the directive
  const probe = spawnSync(REDIS_SERVER, ["--port", "0", "--tls-port", "1", "--tls-auth-clients", "no"], { encoding: "utf8", timeout: 5000, killSignal: "SIGKILL" });
  const out = `${probe.stdout}${probe.stderr}`;
  if (!/TLS/.test(out) || /Bad directive|wrong number of arguments/i.test(out)) return `${REDIS_SERVER} was built without TLS: ${out.trim().split("\n").at(-1)}`;
  return false;
}
const skip = whySkip();

/** The CLI from source; `ca`: the CA file Node is told to trust (NODE_EXTRA_CA_CERTS), as a user would. */
function cli(args: string[], ca?: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const env = { ...process.env };
  delete env.NODE_EXTRA_CA_CERTS;
  if (ca) env.NODE_EXTRA_CA_CERTS = ca;
  const child = spawn(process.execPath, ["--import", "tsx", "src/cli/main.ts", ...args], { stdio: ["ignore", "pipe", "pipe"], env });
  let stdout = "", stderr = "";
  child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
  child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve) => child.once("exit", (code) => resolve({ code, stdout, stderr })));
}

describe("distributed PPO over rediss:// (TLS) with a password", { skip }, () => {
  let dir = "";
  let server: ChildProcess | null = null;
  let port = 0;
  const url = (password: string | null, host = "127.0.0.1") => `rediss://${password === null ? "" : `:${password}@`}${host}:${port}`;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), "tsrl-redis-tls-"));
    makeCertificates(dir);
    port = await freePort();
    const proc = spawn(REDIS_SERVER, ["--port", "0", "--tls-port", String(port), "--bind", "127.0.0.1", "--save", "", "--dir", dir, "--tls-cert-file", "server.pem", "--tls-key-file", "server.key", "--tls-ca-cert-file", "ca.pem", "--tls-auth-clients", "no", "--requirepass", PASSWORD], { cwd: dir, stdio: ["ignore", "pipe", "pipe"] });
    server = proc;
    await new Promise<void>((resolve, reject) => {
      let out = "";
      proc.stdout!.on("data", (d: Buffer) => (out += d.toString()).includes("Ready to accept connections") && resolve());
      proc.once("exit", (code) => reject(new Error(`redis-server exited (${code}) before it was ready:\n${out}`)));
    });
  });
  after(async () => {
    const proc = server;
    if (proc && proc.exitCode === null) await new Promise<void>((resolve) => proc.once("exit", () => resolve()).kill("SIGTERM"));
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("a learner and an actor train a run through TLS (the server has no plain port), the CA given to Node with NODE_EXTRA_CA_CERTS; the run equals the single-process one; actor threads connect too", async () => {
    const store = join(dir, "store");
    const ca = join(dir, "ca.pem");
    const steps = 4 * 128 * 3;
    const [learner, actor] = await Promise.all([
      cli(["train", "ppo", "--env", "CartPole-v1", "--seed", "4", "--total-timesteps", String(steps), "--redis", url(PASSWORD), "--actors", "0", "--sync", "--name", "tls", "--store", store, "--json"], ca),
      cli(["actor", "--redis", url(PASSWORD), "--run", "tls", "--json"], ca),
    ]);
    assert.equal(learner.code, 0, learner.stderr);
    assert.equal(actor.code, 0, actor.stderr);
    assert.ok(!`${learner.stdout}${learner.stderr}${actor.stdout}${actor.stderr}`.includes(PASSWORD), "the password is never shown");
    assert.equal(JSON.parse(actor.stdout).segments, 3);
    assertSingleProcessResult(learner.stdout, { envId: "CartPole-v1", seed: 4, totalTimesteps: steps });
    const runs = new RunStore(store, { create: false });
    const run = runs.getRun("tls");
    assert.equal(run.status, "finished");
    assert.deepEqual(runs.metrics(run.id, "distributed/segments").map((m) => m.value), [1, 2, 3]);
    runs.close();
    // actor threads of the learner's process have the CA too (NODE_EXTRA_CA_CERTS is process-wide)
    const threaded = await cli(["train", "ppo", "--env", "CartPole-v1", "--total-timesteps", String(steps), "--redis", url(PASSWORD), "--actors", "1", "--name", "tls-threads", "--no-track", "--json"], ca);
    assert.equal(threaded.code, 0, threaded.stderr);
    assert.equal(JSON.parse(threaded.stdout.trim().split("\n").at(-1)!).total_timesteps, steps);
  });

  it("a wrong or missing password, an untrusted certificate or another host name fail at once with what to do, no stack trace", async () => {
    const ca = join(dir, "ca.pem");
    const cases: [string, string | undefined, RegExp][] = [
      [url("wrong"), ca, /^tsrl: redis rediss:\/\/:\*\*\*@127\.0\.0\.1:\d+: the server refused the user name or password \(WRONGPASS [^)]*\); check them in the URL$/m],
      [url(null), ca, /^tsrl: redis rediss:\/\/127\.0\.0\.1:\d+: the server needs a password: give it in the URL, redis:\/\/:PASSWORD@host:port/m],
      [url(PASSWORD), undefined, /^redis rediss:\/\/:\*\*\*@127\.0\.0\.1:\d+: the server's TLS certificate is not trusted \(self[- ]signed certificate in certificate chain\); give Node the CA that signed it: NODE_EXTRA_CA_CERTS=/m],
      [url(PASSWORD, "localhost"), ca, /^redis rediss:\/\/:\*\*\*@localhost:\d+: the server's TLS certificate is not for this host \(.*localhost.*\); connect by a name or address its subjectAltName lists/m],
    ];
    const results = await Promise.all(cases.map(([redis, trusted]) => cli(["actor", "--redis", redis, "--run", "tls-refused"], trusted)));
    results.forEach((r, i) => {
      assert.equal(r.code, 1, `${cases[i]![0]}: ${r.stderr}`);
      assert.match(r.stderr, cases[i]![2]);
      assert.ok(!/\n\s+at /.test(r.stderr), `no stack trace: ${r.stderr}`);
      assert.ok(!r.stderr.includes(PASSWORD) && !r.stderr.includes(":wrong@"), "the password is never shown");
      assert.ok(!r.stderr.includes("waiting for run"), "it failed before waiting for a learner");
    });
  });
});
