/**
 * A port of CPython's `difflib.SequenceMatcher` (with `isjunk=None`) and `difflib.unified_diff`
 * (Lib/difflib.py, 3.11; unchanged in behaviour since 3.9): the same longest-match search, the
 * same tie-breaking (earliest in a, then earliest in b), the same "autojunk" heuristic (for
 * b of 200 or more elements, elements occurring more than len(b)//100 + 1 times are not used to
 * start a match, though a match may still extend over them) and the same grouping of opcodes
 * into hunks. Sequences are compared as arrays of strings: lines, or the code points of a string
 * (Python's `str` is a sequence of code points, so `ratio()` counts code points, not UTF-16 units).
 */

export interface MatchBlock {
  a: number;
  b: number;
  size: number;
}

export type OpcodeTag = "replace" | "delete" | "insert" | "equal";
export type Opcode = [tag: OpcodeTag, i1: number, i2: number, j1: number, j2: number];

/** The elements of a string as Python sees them: code points. */
export function codePoints(s: string): string[] {
  return Array.from(s);
}

export class SequenceMatcher {
  private readonly aIds: Int32Array;
  private readonly bIds: Int32Array;
  /** for each element id, its indices in b (ascending); popular elements removed when autojunk applies */
  private readonly b2j: Int32Array[];
  private matchingBlocks: MatchBlock[] | null = null;
  private readonly rowLength: Int32Array;
  private readonly rowStamp: Float64Array;
  private stamp = 0;

  constructor(
    readonly a: readonly string[],
    readonly b: readonly string[],
    autojunk = true,
  ) {
    const ids = new Map<string, number>();
    const intern = (s: string) => {
      let id = ids.get(s);
      if (id === undefined) ids.set(s, (id = ids.size));
      return id;
    };
    this.bIds = Int32Array.from(b, intern);
    this.aIds = Int32Array.from(a, intern);
    const lists: number[][] = Array.from({ length: ids.size }, () => []);
    for (let j = 0; j < this.bIds.length; j++) lists[this.bIds[j]!]!.push(j);
    const n = b.length;
    if (autojunk && n >= 200) {
      const ntest = Math.floor(n / 100) + 1;
      for (let id = 0; id < lists.length; id++) if (lists[id]!.length > ntest) lists[id] = [];
    }
    this.b2j = lists.map((l) => Int32Array.from(l));
    this.rowLength = new Int32Array(n);
    this.rowStamp = new Float64Array(n);
  }

  /** `find_longest_match(alo, ahi, blo, bhi)`. */
  findLongestMatch(alo: number, ahi: number, blo: number, bhi: number): MatchBlock {
    const { aIds, bIds, b2j, rowLength, rowStamp } = this;
    let besti = alo;
    let bestj = blo;
    let bestsize = 0;
    // j2len[j] of Python's loop is rowLength[j] when rowStamp[j] is the previous row's stamp, else 0;
    // stamps grow across calls (skipping one between calls), so no clearing is needed
    this.stamp++;
    for (let i = alo; i < ahi; i++) {
      const stamp = ++this.stamp;
      const js = b2j[aIds[i]!]!;
      // Python skips j < blo one by one; the indices are sorted, so start at the first j >= blo
      let lo = 0;
      let hi = js.length;
      while (lo < hi) {
        const mid = (lo + hi) >>> 1;
        if (js[mid]! < blo) lo = mid + 1;
        else hi = mid;
      }
      // descending j, so rowLength[j - 1] still holds the previous row when it is read; Python
      // walks j ascending and keeps the first j reaching a new maximum, i.e. the row's smallest j
      // with the row's largest k, if that k beats the best of the earlier rows
      let end = lo;
      while (end < js.length && js[end]! < bhi) end++;
      let rowBest = 0;
      let rowBestJ = 0;
      for (let t = end - 1; t >= lo; t--) {
        const j = js[t]!;
        const k = j > 0 && rowStamp[j - 1] === stamp - 1 ? rowLength[j - 1]! + 1 : 1;
        rowLength[j] = k;
        rowStamp[j] = stamp;
        if (k >= rowBest) {
          rowBest = k;
          rowBestJ = j;
        }
      }
      if (rowBest > bestsize) {
        besti = i - rowBest + 1;
        bestj = rowBestJ - rowBest + 1;
        bestsize = rowBest;
      }
    }
    // isjunk is None, so no element of b is junk: extend over equal elements (popular ones included)
    while (besti > alo && bestj > blo && aIds[besti - 1] === bIds[bestj - 1]) {
      besti--;
      bestj--;
      bestsize++;
    }
    while (besti + bestsize < ahi && bestj + bestsize < bhi && aIds[besti + bestsize] === bIds[bestj + bestsize]) bestsize++;
    return { a: besti, b: bestj, size: bestsize };
  }

  getMatchingBlocks(): MatchBlock[] {
    if (this.matchingBlocks) return this.matchingBlocks;
    const la = this.a.length;
    const lb = this.b.length;
    // equal sequences: the search below would find the one block (0, 0, n) after O(n·repeats) work
    if (la === lb && this.aIds.every((id, i) => id === this.bIds[i])) {
      this.matchingBlocks = la ? [{ a: 0, b: 0, size: la }, { a: la, b: lb, size: 0 }] : [{ a: 0, b: 0, size: 0 }];
      return this.matchingBlocks;
    }
    const queue: [number, number, number, number][] = [[0, la, 0, lb]];
    const blocks: MatchBlock[] = [];
    while (queue.length) {
      const [alo, ahi, blo, bhi] = queue.pop()!;
      const x = this.findLongestMatch(alo, ahi, blo, bhi);
      const { a: i, b: j, size: k } = x;
      if (k) {
        blocks.push(x);
        if (alo < i && blo < j) queue.push([alo, i, blo, j]);
        if (i + k < ahi && j + k < bhi) queue.push([i + k, ahi, j + k, bhi]);
      }
    }
    blocks.sort((x, y) => x.a - y.a || x.b - y.b || x.size - y.size);
    let i1 = 0;
    let j1 = 0;
    let k1 = 0;
    const nonAdjacent: MatchBlock[] = [];
    for (const { a: i2, b: j2, size: k2 } of blocks) {
      if (i1 + k1 === i2 && j1 + k1 === j2) {
        k1 += k2;
      } else {
        if (k1) nonAdjacent.push({ a: i1, b: j1, size: k1 });
        i1 = i2;
        j1 = j2;
        k1 = k2;
      }
    }
    if (k1) nonAdjacent.push({ a: i1, b: j1, size: k1 });
    nonAdjacent.push({ a: la, b: lb, size: 0 });
    this.matchingBlocks = nonAdjacent;
    return nonAdjacent;
  }

  getOpcodes(): Opcode[] {
    let i = 0;
    let j = 0;
    const answer: Opcode[] = [];
    for (const { a: ai, b: bj, size } of this.getMatchingBlocks()) {
      const tag: OpcodeTag | "" = i < ai && j < bj ? "replace" : i < ai ? "delete" : j < bj ? "insert" : "";
      if (tag) answer.push([tag, i, ai, j, bj]);
      i = ai + size;
      j = bj + size;
      if (size) answer.push(["equal", ai, i, bj, j]);
    }
    return answer;
  }

  /** `get_grouped_opcodes(n)`: change clusters with up to n elements of context. */
  getGroupedOpcodes(n = 3): Opcode[][] {
    const codes = this.getOpcodes();
    if (!codes.length) codes.push(["equal", 0, 1, 0, 1]);
    if (codes[0]![0] === "equal") {
      const [tag, i1, i2, j1, j2] = codes[0]!;
      codes[0] = [tag, Math.max(i1, i2 - n), i2, Math.max(j1, j2 - n), j2];
    }
    const last = codes.length - 1;
    if (codes[last]![0] === "equal") {
      const [tag, i1, i2, j1, j2] = codes[last]!;
      codes[last] = [tag, i1, Math.min(i2, i1 + n), j1, Math.min(j2, j1 + n)];
    }
    const nn = n + n;
    const groups: Opcode[][] = [];
    let group: Opcode[] = [];
    for (const code of codes) {
      let [tag, i1, i2, j1, j2] = code;
      if (tag === "equal" && i2 - i1 > nn) {
        group.push([tag, i1, Math.min(i2, i1 + n), j1, Math.min(j2, j1 + n)]);
        groups.push(group);
        group = [];
        i1 = Math.max(i1, i2 - n);
        j1 = Math.max(j1, j2 - n);
      }
      group.push([tag, i1, i2, j1, j2]);
    }
    if (group.length && !(group.length === 1 && group[0]![0] === "equal")) groups.push(group);
    return groups;
  }

  /** 2·M / T, M matched elements, T = len(a) + len(b); 1.0 when both are empty. */
  ratio(): number {
    let matches = 0;
    for (const block of this.getMatchingBlocks()) matches += block.size;
    const length = this.a.length + this.b.length;
    return length ? (2.0 * matches) / length : 1.0;
  }
}

function formatRangeUnified(start: number, stop: number): string {
  let beginning = start + 1;
  const length = stop - start;
  if (length === 1) return String(beginning);
  if (!length) beginning -= 1;
  return `${beginning},${length}`;
}

/** `difflib.unified_diff(a, b, fromfile, tofile, n=n, lineterm="")` as a list of lines (the two header lines included when there is any change). */
export function unifiedDiff(a: readonly string[], b: readonly string[], options: { fromfile?: string; tofile?: string; n?: number } = {}): string[] {
  const { fromfile = "", tofile = "", n = 3 } = options;
  const out: string[] = [];
  for (const group of new SequenceMatcher(a, b).getGroupedOpcodes(n)) {
    if (!out.length) out.push(`--- ${fromfile}`, `+++ ${tofile}`);
    const first = group[0]!;
    const last = group[group.length - 1]!;
    out.push(`@@ -${formatRangeUnified(first[1], last[2])} +${formatRangeUnified(first[3], last[4])} @@`);
    for (const [tag, i1, i2, j1, j2] of group) {
      if (tag === "equal") {
        for (let i = i1; i < i2; i++) out.push(` ${a[i]}`);
        continue;
      }
      if (tag === "replace" || tag === "delete") for (let i = i1; i < i2; i++) out.push(`-${a[i]}`);
      if (tag === "replace" || tag === "insert") for (let j = j1; j < j2; j++) out.push(`+${b[j]}`);
    }
  }
  return out;
}
