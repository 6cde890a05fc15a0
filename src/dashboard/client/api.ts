/** Calls to the dashboard's JSON API (same origin: the token cookie goes along). */
import type { ChangeEvent, DatasetDetail, DatasetSummary, RunChanges, RunDetail, RunSeriesData, RunSummary, ScoresResponse, StatusResponse, TextSamplesResponse } from "../types.js";

export class ApiError extends Error {
  constructor(message: string, readonly status: number) {
    super(message);
  }
}

async function getJson<T>(path: string): Promise<T> {
  const res = await fetch(path, { headers: { accept: "application/json" } });
  const body = (await res.json().catch(() => ({ error: `${res.status} ${res.statusText}` }))) as T & { error?: string };
  if (!res.ok) throw new ApiError(body.error ?? `${res.status} ${res.statusText}`, res.status);
  return body;
}

export const api = {
  status: () => getJson<StatusResponse>("/api/status"),
  runs: () => getJson<{ runs: RunSummary[] }>("/api/runs").then((r) => r.runs),
  run: (id: string) => getJson<RunDetail>(`/api/runs/${encodeURIComponent(id)}`),
  series: (runs: readonly string[], key: string, points: number, range: { from?: number; to?: number } = {}) => api.seriesWithCost(runs, key, points, range).then((r) => r.series),
  /** the series and what reading them cost the server (ms) */
  seriesWithCost: (runs: readonly string[], key: string, points: number, range: { from?: number; to?: number } = {}) => {
    const q = new URLSearchParams({ runs: runs.join(","), key, points: String(points) });
    if (range.from !== undefined) q.set("from", String(Math.max(0, Math.floor(range.from))));
    if (range.to !== undefined) q.set("to", String(Math.max(0, Math.ceil(range.to))));
    return getJson<{ series: RunSeriesData[]; ms: number }>(`/api/series?${q}`);
  },
  datasets: () => getJson<{ dir: string; datasets: DatasetSummary[] }>("/api/datasets"),
  dataset: (name: string) => getJson<DatasetDetail>(`/api/datasets/${encodeURIComponent(name)}`),
  samples: (id: string) => getJson<TextSamplesResponse>(`/api/runs/${encodeURIComponent(id)}/samples`),
  scores: (runs: readonly string[]) => getJson<ScoresResponse>(`/api/scores?${new URLSearchParams({ runs: runs.join(",") })}`),
  async policy(runId: string, checkpoint?: number): Promise<Uint8Array> {
    const res = await fetch(`/api/runs/${encodeURIComponent(runId)}/policy${checkpoint === undefined ? "" : `?checkpoint=${checkpoint}`}`);
    if (!res.ok) throw new ApiError(((await res.json().catch(() => ({}))) as { error?: string }).error ?? `${res.status} ${res.statusText}`, res.status);
    return new Uint8Array(await res.arrayBuffer());
  },
  async deleteRun(id: string): Promise<void> {
    const res = await fetch(`/api/runs/${encodeURIComponent(id)}`, { method: "DELETE" });
    if (!res.ok) throw new ApiError(((await res.json().catch(() => ({}))) as { error?: string }).error ?? res.statusText, res.status);
  },
  async updateRun(id: string, changes: RunChanges): Promise<RunSummary> {
    const res = await fetch(`/api/runs/${encodeURIComponent(id)}`, { method: "PATCH", headers: { "content-type": "application/json" }, body: JSON.stringify(changes) });
    const body = (await res.json().catch(() => ({}))) as RunSummary & { error?: string };
    if (!res.ok) throw new ApiError(body.error ?? res.statusText, res.status);
    return body;
  },
  artifactUrl: (runId: string, kind: string, step: number) => `/api/runs/${encodeURIComponent(runId)}/artifacts/${kind}/${step}`,
};

/** Store changes pushed by the server; reconnects by itself (EventSource). */
export function subscribe(onChange: (e: ChangeEvent) => void, onConnection: (up: boolean) => void): EventSource {
  const source = new EventSource("/api/events");
  source.onopen = () => onConnection(true);
  source.onerror = () => onConnection(false);
  source.onmessage = (m: MessageEvent<string>) => onChange(JSON.parse(m.data) as ChangeEvent);
  return source;
}
