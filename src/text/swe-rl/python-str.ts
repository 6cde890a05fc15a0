/**
 * Python's `str.strip()` and `str.splitlines()` in JavaScript. JS's `trim()` and a split on
 * /\r?\n/ use other character sets: Python strips the separators \x1c–\x1f and NEL (\x85) but not
 * the BOM (\ufeff), and splits lines on \v, \f, \x1c–\x1e, \x85, \u2028 and \u2029 as well.
 * Both sets are those of CPython 3.11 (`str.isspace`, `Objects/unicodeobject.c`'s linebreak table).
 */

const PY_WHITESPACE = new Set([
  0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x1c, 0x1d, 0x1e, 0x1f, 0x20, 0x85, 0xa0, 0x1680, 0x2000, 0x2001, 0x2002, 0x2003, 0x2004, 0x2005, 0x2006, 0x2007,
  0x2008, 0x2009, 0x200a, 0x2028, 0x2029, 0x202f, 0x205f, 0x3000,
]);

const PY_LINE_BREAKS = new Set([0x0a, 0x0b, 0x0c, 0x0d, 0x1c, 0x1d, 0x1e, 0x85, 0x2028, 0x2029]);

/** `s.strip()` with no argument (every whitespace character is in the BMP, so code units suffice). */
export function pyStrip(s: string): string {
  let start = 0;
  let end = s.length;
  while (start < end && PY_WHITESPACE.has(s.charCodeAt(start))) start++;
  while (end > start && PY_WHITESPACE.has(s.charCodeAt(end - 1))) end--;
  return s.slice(start, end);
}

/** `s.splitlines()`: lines without their terminators; "\r\n" is one break; no empty last line after a final break. */
export function pySplitlines(s: string): string[] {
  const lines: string[] = [];
  let start = 0;
  let i = 0;
  while (i < s.length) {
    const c = s.charCodeAt(i);
    if (PY_LINE_BREAKS.has(c)) {
      lines.push(s.slice(start, i));
      i += c === 0x0d && s.charCodeAt(i + 1) === 0x0a ? 2 : 1;
      start = i;
    } else {
      i++;
    }
  }
  if (start < s.length) lines.push(s.slice(start));
  return lines;
}

