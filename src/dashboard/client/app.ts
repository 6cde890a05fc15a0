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

/**
 * Paces live reloads of one chart: none while one is in flight, and the next only after 50×
 * the last one's duration (at least a second), so charts of huge running runs — a sampled
 * read takes tens of ms — cost the server a few percent of a core, not all of it. A request
 * that has to wait is kept and run when its turn comes, so the last rows always show.
 */
export class ReloadPacer {
  private busy = false;
  private notBefore = 0;
  private pending: (() => Promise<void>) | null = null;
  private timer: ReturnType<typeof setTimeout> | undefined;

  request(load: () => Promise<void>, now = false): void {
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

  private async start(load: () => Promise<void>): Promise<void> {
    this.busy = true;
    const started = performance.now();
    try {
      await load();
    } finally {
      this.busy = false;
      this.notBefore = performance.now() + Math.max(1000, 50 * (performance.now() - started));
      if (this.pending) this.schedule();
    }
  }
}
