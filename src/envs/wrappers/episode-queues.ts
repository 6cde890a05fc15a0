/** Helpers shared by the single and vector `RecordEpisodeStatistics`. */

/** `time.perf_counter()`, in seconds. */
export function perfCounter(): number {
  return performance.now() / 1000;
}

export function roundMicro(seconds: number): number {
  return Math.round(seconds * 1e6) / 1e6;
}

/** Appends to a FIFO of at most `capacity` items, like a `deque(maxlen=capacity)`. */
export function pushBounded(queue: number[], value: number, capacity: number): void {
  queue.push(value);
  if (queue.length > capacity) queue.shift();
}

export function checkBufferLength(bufferLength: number): number {
  if (!Number.isSafeInteger(bufferLength) || bufferLength < 1) {
    throw new RangeError(`RecordEpisodeStatistics: bufferLength must be a positive integer, got ${bufferLength}`);
  }
  return bufferLength;
}

/** Replaces a queue's contents, keeping the newest `capacity` items. */
export function replaceQueue(queue: number[], items: readonly number[], capacity: number): void {
  queue.length = 0;
  queue.push(...items.slice(-capacity));
}
