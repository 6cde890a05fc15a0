/** Sizes in messages, and allocations that fail with an error naming the size asked for. */

export function formatBytes(bytes: number): string {
  const units = ["B", "KiB", "MiB", "GiB", "TiB", "PiB"];
  let i = 0;
  while (bytes >= 1024 && i < units.length - 1) {
    bytes /= 1024;
    i++;
  }
  return `${bytes >= 100 || i === 0 ? Math.round(bytes) : bytes.toFixed(1)} ${units[i]}`;
}

/**
 * Runs `allocate`; when the runtime cannot allocate (a RangeError: "Array buffer allocation
 * failed", "Invalid typed array length"), throws an error naming `fields` with what was asked
 * (`bytes`, a lower bound) instead. For sizes checked where the machine's memory is unknown.
 */
export function allocating<T>(fields: string, what: string, bytes: number, allocate: () => T, options: { advice?: string; ErrorClass?: new (message: string) => Error } = {}): T {
  try {
    return allocate();
  } catch (err) {
    if (!(err instanceof RangeError) || !/allocat|array length|memory/i.test(err.message)) throw err;
    const ErrorClass = options.ErrorClass ?? RangeError;
    throw new ErrorClass(`${fields}: ${what} needs at least ${formatBytes(bytes)}, which could not be allocated (${err.message}); ${options.advice ?? `lower ${fields}`}`);
  }
}
