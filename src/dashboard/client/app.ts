/** What every page gets from the shell, and what the shell asks of a page. */
import type { ChangeEvent, StatusResponse } from "../types.js";

export interface AppContext {
  status: StatusResponse;
  /** runs ticked in the runs table (kept while moving between pages) */
  selection: Set<string>;
  navigate(hash: string): void;
}

export interface Page {
  /** the store changed (pushed by the server) */
  onChange?(event: ChangeEvent): void;
  dispose?(): void;
}

/** Runs `fn` at most once per `ms`, with the latest call last (live updates arrive every second). */
export function throttle(fn: () => void, ms: number): () => void {
  let timer: ReturnType<typeof setTimeout> | null = null;
  let last = 0;
  return () => {
    if (timer) return;
    const wait = Math.max(0, last + ms - performance.now());
    timer = setTimeout(() => {
      timer = null;
      last = performance.now();
      fn();
    }, wait);
  };
}

/** The shortest gap between two live reloads of one chart. */
export const RELOAD_MIN_GAP_MS = 500;
/** Gap per ms of server time a reload cost: a chart of a huge run (a ~50 ms sampled read) reloads every ~1 s. */
const RELOAD_COST_FACTOR = 20;

/**
 * Paces live reloads of one chart: none while one is in flight, and the next only after 20×
 * what the last one cost the server (at least half a second), so charts of huge running runs
 * cost the server a few percent of a core, not all of it. The cost is the server's own time for
 * the read when the load reports it: the page's wall time would include waiting behind the
 * other charts' requests, and a page of 10 charts would pace itself to a crawl. A request that
 * has to wait is kept and run when its turn comes, so the last rows always show.
 */
export class ReloadPacer {
  private busy = false;
  private notBefore = 0;
  private pending: (() => Promise<number | void>) | null = null;
  private timer: ReturnType<typeof setTimeout> | undefined;

  /** `load` may resolve with what it cost the server in ms (else its wall time counts). */
  request(load: () => Promise<number | void>, now = false): void {
    if (this.busy || (!now && performance.now() < this.notBefore)) {
      this.pending = load;
      this.schedule();
      return;
    }
    void this.start(load);
  }

  cancel(): void {
    clearTimeout(this.timer);
    this.pending = null;
  }

  private schedule(): void {
    if (this.timer !== undefined || this.busy) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      const load = this.pending;
      this.pending = null;
      if (load) this.request(load);
    }, Math.max(0, this.notBefore - performance.now()));
  }

  private async start(load: () => Promise<number | void>): Promise<void> {
    this.busy = true;
    const started = performance.now();
    let cost: number | void = undefined;
    try {
      cost = await load();
    } finally {
      this.busy = false;
      const spent = typeof cost === "number" ? cost : performance.now() - started;
      this.notBefore = performance.now() + Math.max(RELOAD_MIN_GAP_MS, RELOAD_COST_FACTOR * spent);
      if (this.pending) this.schedule();
    }
  }
}
