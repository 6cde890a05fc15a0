/**
 * `tsrl dashboard`'s server: node:http serving the page, the bundled client, a read-only JSON
 * API over the run store, and server-sent events when the store changes.
 *
 * Security: it listens on 127.0.0.1 unless told otherwise, and any other address needs a token.
 * With a token every request must carry it (`?token=` once, which sets a cookie, or an
 * `Authorization: Bearer` header); without one, requests must name a loopback Host, which stops
 * web pages from reaching the API through DNS rebinding. Artifacts are found by their database
 * record, never by a path from the URL. Deleting runs needs `allowDelete`.
 */
import { randomBytes, createHash, timingSafeEqual } from "node:crypto";
import { type IncomingMessage, type Server, type ServerResponse, createServer } from "node:http";
import { hostname } from "node:os";
import { join } from "node:path";
import { RunBusyError, StoreError, storeDirectory } from "../track/store.js";
import { tsrlVersion } from "../track/versions.js";
import { DatasetError } from "../data/format.js";
import { clientBundle, echartsBundle, envModuleBundle } from "./bundle.js";
import { DatasetReader } from "./datasets.js";
import { PAGE_CSS, PAGE_HTML } from "./page.js";
import { PolicySource, PolicyUnavailableError } from "./policies.js";
import { textSamples } from "./text-samples.js";
import { isTextAlgo } from "../llm/text-algos.js";
import { NotFoundError, StoreReader, StoreUnavailableError } from "./store-reader.js";
import type { RunChanges, ScoresResponse, StatusResponse } from "./types.js";

export interface DashboardOptions {
  /** store directory (default: $TSRL_STORE or ./tsrl-runs) */
  store?: string;
  /** default 6006; 0 picks a free port */
  port?: number;
  /** default 127.0.0.1 */
  host?: string;
  /** a secret every request must carry; "auto" generates one; required for non-loopback hosts */
  token?: string;
  /** allow DELETE /api/runs/:id (and what allowEdit allows) */
  allowDelete?: boolean;
  /** allow PATCH /api/runs/:id: rename a run, set its tags and notes */
  allowEdit?: boolean;
  /** how often to look for new rows, in ms (default 500) */
  pollMs?: number;
}

export interface Dashboard {
  /** the address to open, with the token if there is one */
  url: string;
  port: number;
  token: string | null;
  storeDir: string;
  close(): Promise<void>;
}

export class DashboardError extends Error {
  override name = "DashboardError";
}

class BadRequestError extends Error {}

const MAX_POINTS = 10_000;
/** A PATCH body holds a name, some tags and notes: more is a mistake. */
const MAX_BODY_BYTES = 64 * 1024;
const DEFAULT_POINTS = 1500;
const HEARTBEAT_MS = 15_000;

export function isLoopback(host: string): boolean {
  return host === "localhost" || host === "::1" || host === "[::1]" || /^127(\.\d{1,3}){3}$/.test(host);
}

export async function startDashboard(options: DashboardOptions = {}): Promise<Dashboard> {
  const host = options.host ?? "127.0.0.1";
  const token = options.token === "auto" ? randomBytes(18).toString("base64url") : (options.token ?? null);
  if (token !== null && token.length < 8) throw new DashboardError("--token must be at least 8 characters (or --token auto to generate one)");
  if (!isLoopback(host) && token === null) {
    throw new DashboardError(`--host ${host} would let anyone on the network read your runs: add --token SECRET (or --token auto to generate one), or leave --host at 127.0.0.1`);
  }
  const storeDir = storeDirectory(options.store);
  const allowEdit = (options.allowEdit ?? false) || (options.allowDelete ?? false);
  const reader = new StoreReader(storeDir);
  const policies = new PolicySource(reader);
  const datasets = new DatasetReader(storeDir);
  const client = await clientBundle();
  const events = new Set<ServerResponse>();

  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => sendError(res, err));
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? "/", "http://dashboard.invalid");
    if (token === null && !hostHeaderIsLoopback(req.headers.host)) {
      return sendText(res, 403, "This dashboard only answers requests addressed to 127.0.0.1 or localhost.");
    }
    if (token !== null) {
      const given = url.searchParams.get("token");
      const givenInUrl = given !== null && sameSecret(given, token);
      if (givenInUrl && (url.pathname === "/" || url.pathname === "/index.html")) {
        // Trade the token in the address for a cookie, and drop it from the address bar.
        url.searchParams.delete("token");
        res.writeHead(303, { location: url.pathname + url.search, "set-cookie": `${cookieName(port())}=${encodeURIComponent(token)}; HttpOnly; SameSite=Strict; Path=/`, ...SECURITY_HEADERS });
        return void res.end();
      }
      if (!givenInUrl && !requestHasToken(req, token, port())) {
        if (url.pathname.startsWith("/api/")) return sendJson(res, 401, { error: "this dashboard needs its token: open the URL `tsrl dashboard` printed" });
        return sendText(res, 401, "This dashboard needs its token: open the URL that `tsrl dashboard` printed (it ends with ?token=...).");
      }
    }
    const path = url.pathname;
    const method = req.method ?? "GET";
    if (method === "DELETE") {
      const match = /^\/api\/runs\/([^/]+)$/.exec(path);
      if (!match) return sendJson(res, 404, { error: `no such endpoint: DELETE ${path}` });
      if (!options.allowDelete) return sendJson(res, 403, { error: "the dashboard is read-only; start it with --allow-delete to delete runs" });
      reader.deleteRun(decodeURIComponent(match[1]!));
      broadcast({ runs: [], list: true });
      return sendJson(res, 200, { deleted: decodeURIComponent(match[1]!) });
    }
    if (method === "PATCH") {
      const match = /^\/api\/runs\/([^/]+)$/.exec(path);
      if (!match) return sendJson(res, 404, { error: `no such endpoint: PATCH ${path}` });
      if (!allowEdit) return sendJson(res, 403, { error: "the dashboard is read-only; start it with --allow-edit to rename, tag and annotate runs" });
      // JSON only: a cross-site form cannot send it without a preflight, which this server never grants
      if (!/^application\/json\b/i.test(req.headers["content-type"] ?? "")) throw new BadRequestError("PATCH /api/runs/:id takes a JSON body (content-type: application/json)");
      const run = reader.updateRun(decodeURIComponent(match[1]!), runChanges(await readBody(req)));
      broadcast({ runs: [run.id], list: true });
      return sendJson(res, 200, run);
    }
    if (method !== "GET" && method !== "HEAD") return sendJson(res, 405, { error: `${method} is not allowed` });

    if (path === "/" || path === "/index.html") return send(res, 200, PAGE_HTML, "text/html; charset=utf-8");
    if (path === "/assets/app.js") return send(res, 200, client.body, client.type);
    if (path === "/assets/app.css") return send(res, 200, PAGE_CSS, "text/css; charset=utf-8");
    if (path === "/assets/echarts.min.js") {
      const e = echartsBundle();
      return send(res, 200, e.body, e.type, { "cache-control": "max-age=86400" });
    }
    if (path === "/api/status") {
      const status: StatusResponse = { store: reader.status(), allowDelete: options.allowDelete ?? false, allowEdit, version: tsrlVersion() };
      return sendJson(res, 200, status);
    }
    if (path === "/api/runs") return sendJson(res, 200, { runs: reader.listRuns() });
    if (path === "/api/series") {
      const runs = (url.searchParams.get("runs") ?? "").split(",").filter(Boolean);
      const key = url.searchParams.get("key");
      if (!runs.length || !key) throw new BadRequestError("/api/series needs runs=ID,ID and key=METRIC");
      const points = intParam(url, "points", 2, MAX_POINTS) ?? DEFAULT_POINTS;
      const started = performance.now();
      const series = reader.series(runs, key, { points, from: intParam(url, "from", 0), to: intParam(url, "to", 0) });
      // what the read cost the server (the page paces live reloads by it, not by its own wait in a queue)
      return sendJson(res, 200, { series, ms: performance.now() - started });
    }
    if (path === "/api/scores") {
      const runs = (url.searchParams.get("runs") ?? "").split(",").filter(Boolean);
      if (!runs.length) throw new BadRequestError("/api/scores needs runs=ID,ID");
      const body: ScoresResponse = { scores: reader.scores(runs), evaluations: reader.evaluations(runs), comparisons: reader.comparisons(runs) };
      return sendJson(res, 200, body);
    }
    if (path === "/api/events") return openEvents(req, res);
    if (path === "/api/datasets") return sendJson(res, 200, { dir: join(storeDir, "datasets"), datasets: datasets.list() });
    const datasetRoute = /^\/api\/datasets\/([^/]+)$/.exec(path);
    if (datasetRoute) return sendJson(res, 200, datasets.detail(decodeURIComponent(datasetRoute[1]!)));

    const runRoute = /^\/api\/runs\/([^/]+)(\/policy|\/samples|\/env-module\.js|\/artifacts\/(checkpoint|policy)\/(\d+))?$/.exec(path);
    if (runRoute) {
      const id = decodeURIComponent(runRoute[1]!);
      if (!runRoute[2]) return sendJson(res, 200, reader.runDetail(id));
      if (runRoute[2] === "/env-module.js") {
        // only the module recorded with the run, never a path from the request
        const envModule = reader.runDetail(id).versions.envModule;
        if (typeof envModule !== "string") return sendJson(res, 404, { error: `run ${id} was trained on a built-in env (no env module recorded)` });
        const asset = await envModuleBundle(envModule).catch((err: unknown) => {
          throw new NotFoundError(`run ${id}'s env module cannot be loaded: ${(err as Error).message}`);
        });
        return send(res, 200, asset.body, asset.type, { "cache-control": "no-store" });
      }
      if (runRoute[2] === "/samples") return sendJson(res, 200, textSamples(reader, id));
      if (runRoute[2] === "/policy") {
        if (isTextAlgo(reader.runRecord(id).algo)) throw new PolicyUnavailableError(`run ${id} trained a language model: there is no env to replay it in (its page shows sample completions; try tsrl sample ${id} --prompt ...)`);
        const bytes = policies.policyBytes(id, intParam(url, "checkpoint", 0));
        return send(res, 200, bytes, "application/octet-stream", { "cache-control": "no-store" });
      }
      const artifact = reader.artifact(id, runRoute[3]!, Number(runRoute[4]));
      const file = `${id}-${artifact.kind}-${artifact.step}.${artifact.kind === "policy" ? "tsrlpolicy" : "tsrlckpt"}`;
      return send(res, 200, reader.readArtifact(artifact), "application/octet-stream", { "content-disposition": `attachment; filename="${file}"` });
    }
    return sendJson(res, 404, { error: `no such page: ${path}` });
  }

  function openEvents(req: IncomingMessage, res: ServerResponse): void {
    res.writeHead(200, { "content-type": "text/event-stream; charset=utf-8", "cache-control": "no-store", connection: "keep-alive", ...SECURITY_HEADERS });
    res.write("retry: 2000\n\n");
    events.add(res);
    req.on("close", () => events.delete(res));
  }

  function broadcast(event: object): void {
    const message = `data: ${JSON.stringify(event)}\n\n`;
    for (const res of events) res.write(message);
  }

  const poller = setInterval(() => {
    try {
      const change = reader.poll();
      if (change) broadcast(change);
    } catch {
      // A store locked for long or replaced under us: let the pages reload (and show the error they get).
      broadcast({ runs: [], list: true });
    }
  }, options.pollMs ?? 500);
  const heartbeat = setInterval(() => {
    for (const res of events) res.write(": keep-alive\n\n");
  }, HEARTBEAT_MS);

  const requestedPort = options.port ?? 6006;
  await listen(server, requestedPort, host).catch((err: unknown) => {
    clearInterval(poller);
    clearInterval(heartbeat);
    reader.close();
    throw err;
  });
  reader.poll(); // note the store's current state so the first tick reports only changes
  function port(): number {
    const address = server.address();
    return typeof address === "object" && address ? address.port : requestedPort;
  }
  const shownHost = host === "0.0.0.0" || host === "::" ? hostname() : host.includes(":") && !host.startsWith("[") ? `[${host}]` : host;
  const url = `http://${shownHost}:${port()}/${token ? `?token=${encodeURIComponent(token)}` : ""}`;

  return {
    url,
    port: port(),
    token,
    storeDir,
    close: () =>
      new Promise<void>((resolve) => {
        clearInterval(poller);
        clearInterval(heartbeat);
        for (const res of events) res.end();
        events.clear();
        server.close(() => {
          reader.close();
          resolve();
        });
        server.closeAllConnections();
      }),
  };
}

function listen(server: Server, port: number, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once("error", (err: NodeJS.ErrnoException) => {
      if (err.code === "EADDRINUSE") reject(new DashboardError(`port ${port} on ${host} is already in use (another tsrl dashboard or TensorBoard?): pass --port N, or --port 0 for any free port`));
      else if (err.code === "EACCES") reject(new DashboardError(`no permission to listen on port ${port}: pass --port N with N >= 1024, or --port 0 for any free port`));
      else if (err.code === "EADDRNOTAVAIL" || err.code === "ENOTFOUND") reject(new DashboardError(`cannot listen on ${host}: this machine has no such address (--host)`));
      else reject(err);
    });
    server.listen(port, host, () => resolve());
  });
}

const SECURITY_HEADERS = {
  // Scripts only from this server (and WebAssembly compilation for the replay); no framing.
  "content-security-policy": "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; frame-ancestors 'none'",
  "x-content-type-options": "nosniff",
  "referrer-policy": "no-referrer",
};

function send(res: ServerResponse, status: number, body: string | Uint8Array, type: string, headers: Record<string, string> = {}): void {
  res.writeHead(status, { "content-type": type, "content-length": Buffer.byteLength(body), "cache-control": "no-cache", ...SECURITY_HEADERS, ...headers });
  res.end(res.req.method === "HEAD" ? undefined : body);
}

function sendJson(res: ServerResponse, status: number, value: unknown): void {
  send(res, status, JSON.stringify(value), "application/json; charset=utf-8", { "cache-control": "no-store" });
}

function sendText(res: ServerResponse, status: number, text: string): void {
  send(res, status, text, "text/plain; charset=utf-8");
}

function sendError(res: ServerResponse, err: unknown): void {
  const message = err instanceof Error ? err.message : String(err);
  const status =
    err instanceof BadRequestError || err instanceof URIError ? 400
    : err instanceof NotFoundError ? 404
    : err instanceof PolicyUnavailableError || err instanceof RunBusyError ? 409
    : err instanceof DatasetError ? 422 // a damaged dataset: the message says which file and what to do
    : err instanceof StoreUnavailableError ? 503
    : err instanceof StoreError ? 400 // a refused change: a taken name, a bad tag, a read-only store
    : 500;
  if (status === 500) console.error(`tsrl dashboard: ${err instanceof Error ? (err.stack ?? message) : message}`);
  if (res.headersSent) return void res.end();
  sendJson(res, status, { error: message });
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) throw new BadRequestError(`the request body is larger than ${MAX_BODY_BYTES / 1024} KB`);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString("utf8");
}

/** The fields a PATCH may change, each of the right type (values are checked by the store's rules). */
function runChanges(body: string): RunChanges {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    throw new BadRequestError("the request body is not valid JSON");
  }
  if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed)) throw new BadRequestError("expected a JSON object like {\"name\": …, \"tags\": […], \"notes\": …}");
  const unknown = Object.keys(parsed).filter((k) => !["name", "tags", "notes"].includes(k));
  if (unknown.length) throw new BadRequestError(`cannot change ${unknown.join(", ")}: only name, tags and notes`);
  return parsed as RunChanges;
}

function intParam(url: URL, name: string, min: number, max = Number.MAX_SAFE_INTEGER): number | undefined {
  const raw = url.searchParams.get(name);
  if (raw === null || raw === "") return undefined;
  const n = Number(raw);
  if (!Number.isSafeInteger(n) || n < min || n > max) throw new BadRequestError(`${name} must be an integer in [${min}, ${max}], got "${raw}"`);
  return n;
}

function hostHeaderIsLoopback(header: string | undefined): boolean {
  if (!header) return false;
  const name = header.startsWith("[") ? header.slice(0, header.indexOf("]") + 1) : header.replace(/:\d+$/, "");
  return isLoopback(name.toLowerCase());
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return "";
  }
}

/** One cookie per port: cookies ignore ports, and two dashboards on one host must not clash. */
function cookieName(port: number): string {
  return `tsrl_dashboard_${port}`;
}

function requestHasToken(req: IncomingMessage, token: string, port: number): boolean {
  const bearer = /^Bearer (.+)$/.exec(req.headers.authorization ?? "")?.[1];
  if (bearer !== undefined && sameSecret(bearer, token)) return true;
  const cookie = (req.headers.cookie ?? "").split(/;\s*/).find((c) => c.startsWith(`${cookieName(port)}=`));
  return cookie !== undefined && sameSecret(safeDecode(cookie.slice(cookie.indexOf("=") + 1)), token);
}

/** Compares secrets in constant time (digests have equal lengths whatever was sent). */
function sameSecret(given: string, token: string): boolean {
  const digest = (s: string) => createHash("sha256").update(s).digest();
  return timingSafeEqual(digest(given), digest(token));
}
