/**
 * Two hosts simulated with network namespaces (needs root: skipped otherwise): Redis and the learner in one, an
 * actor in the other, joined only by a veth pair with private addresses. Traffic stays in the namespaces made here.
 */
import assert from "node:assert/strict";
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { assertSingleProcessResult } from "./cli-run.js";
import { RunStore } from "../src/track/store.js";
import { REDIS_SERVER, skipRedis } from "./redis-server.js";

const IP = ["/usr/sbin/ip", "/sbin/ip", "/usr/bin/ip", "/bin/ip"].find((p) => spawnSync(p, ["-V"]).status === 0);
const tag = `${process.pid % 100000}${Math.floor(Math.random() * 1000)}`;
const NS = { server: `tsrl-srv-${tag}`, actor: `tsrl-act-${tag}` };
const VETH = { server: `tsrl${tag}s`.slice(-15), actor: `tsrl${tag}a`.slice(-15) };
const subnet = 1 + Math.floor(Math.random() * 250);
const ADDR = { server: `10.213.${subnet}.1`, actor: `10.213.${subnet}.2` };
const PASSWORD = "netns-s3cret";

function ip(...args: string[]): { status: number | null; stderr: string } {
  const r = spawnSync(IP!, args, { encoding: "utf8" });
  return { status: r.status, stderr: r.stderr };
}

/** why these tests are skipped (no redis-server, no ip, not allowed to make a namespace), or false */
function whySkip(): string | false {
  if (skipRedis) return skipRedis;
  if (!IP) return "ip (iproute2) is absent";
  const probe = `tsrl-probe-${tag}`;
  const made = ip("netns", "add", probe);
  if (made.status !== 0) return `ip netns add is not permitted here (needs root / CAP_SYS_ADMIN): ${made.stderr.trim()}`;
  ip("netns", "delete", probe);
  return false;
}
const skip = whySkip();

function must(...args: string[]): void {
  const r = ip(...args);
  if (r.status !== 0) throw new Error(`ip ${args.join(" ")}: ${r.stderr}`);
}

/** `command` run in namespace `ns` (ip netns exec runs it in place: the child is the command itself). */
function inNamespace(ns: string, command: string, args: readonly string[]): ChildProcess {
  return spawn(IP!, ["netns", "exec", ns, command, ...args], { stdio: ["ignore", "pipe", "pipe"] });
}

function finished(child: ChildProcess): Promise<{ code: number | null; stdout: string; stderr: string }> {
  let stdout = "", stderr = "";
  child.stdout!.on("data", (d: Buffer) => (stdout += d.toString()));
  child.stderr!.on("data", (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve) => child.once("exit", (code) => resolve({ code, stdout, stderr })));
}

describe("distributed PPO across two network namespaces (a learner host and an actor host)", { skip }, () => {
  let dir = "";
  const children: ChildProcess[] = [];

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), "tsrl-netns-"));
    must("netns", "add", NS.server);
    must("netns", "add", NS.actor);
    must("link", "add", VETH.server, "netns", NS.server, "type", "veth", "peer", "name", VETH.actor, "netns", NS.actor);
    for (const side of ["server", "actor"] as const) {
      must("-n", NS[side], "addr", "add", `${ADDR[side]}/30`, "dev", VETH[side]);
      must("-n", NS[side], "link", "set", VETH[side], "up");
      must("-n", NS[side], "link", "set", "lo", "up");
    }
    // Redis listens only on the server namespace's veth address: the actor reaches it across the pair or not at all
    const redis = inNamespace(NS.server, REDIS_SERVER, ["--port", "6379", "--bind", ADDR.server, "--save", "", "--dir", dir, "--requirepass", PASSWORD]);
    children.push(redis);
    await new Promise<void>((resolve, reject) => {
      let out = "";
      redis.stdout!.on("data", (d: Buffer) => (out += d.toString()).includes("Ready to accept connections") && resolve());
      redis.once("exit", (code) => reject(new Error(`redis-server exited (${code}) before it was ready:\n${out}`)));
    });
  });

  after(async () => {
    for (const child of children) {
      if (child.exitCode !== null || child.signalCode !== null) continue;
      await new Promise<void>((resolve) => child.once("exit", () => resolve()).kill("SIGKILL"));
    }
    // deleting a namespace deletes its end of the veth pair, and with it the other end
    ip("netns", "delete", NS.server);
    ip("netns", "delete", NS.actor);
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("the learner (with Redis) in one namespace, tsrl actor in the other: the run finishes, every segment trained on, equal to the single-process run", { timeout: 60_000 }, async () => {
    const url = `redis://:${PASSWORD}@${ADDR.server}:6379`;
    const store = join(dir, "store");
    const steps = 4 * 128 * 4;
    const node = (args: string[]) => [process.execPath, ["--import", "tsx", "src/cli/main.ts", ...args]] as const;
    const learnerChild = inNamespace(NS.server, ...node(["train", "ppo", "--env", "CartPole-v1", "--seed", "4", "--total-timesteps", String(steps), "--redis", url, "--actors", "0", "--sync", "--name", "netns", "--store", store, "--json"]));
    const actorChild = inNamespace(NS.actor, ...node(["actor", "--redis", url, "--run", "netns", "--json"]));
    children.push(learnerChild, actorChild);
    // one that fails ends the other: a learner whose actor died would wait for segments forever
    const [learner, actor] = await Promise.all([
      finished(learnerChild).then((r) => (r.code === 0 || actorChild.kill("SIGKILL"), r)),
      finished(actorChild).then((r) => (r.code === 0 || learnerChild.kill("SIGKILL"), r)),
    ]);
    const both = `learner: ${learner.stderr}\nactor: ${actor.stderr}`;
    assert.equal(learner.code, 0, both);
    assert.equal(actor.code, 0, both);
    assert.equal(JSON.parse(actor.stdout).segments, 4);
    assertSingleProcessResult(learner.stdout, { envId: "CartPole-v1", seed: 4, totalTimesteps: steps });
    const runs = new RunStore(store, { create: false });
    const run = runs.getRun("netns");
    assert.equal(run.status, "finished");
    assert.deepEqual(runs.metrics(run.id, "distributed/segments").map((m) => m.value), [1, 2, 3, 4]);
    assert.deepEqual(runs.metrics(run.id, "distributed/dropped").map((m) => m.value), [0, 0, 0, 0]);
    runs.close();
  });
});
