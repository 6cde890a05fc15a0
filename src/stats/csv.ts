/**
 * Scores tables from CSV text, in the reference AdaStop tool's input format: one column per
 * agent under a header row, one row per run. A pandas frame saved with its index (`to_csv()`:
 * header `,PPO,DDPG,SAC,TRPO`, each row starting with the index) is read as the reference reads
 * it (`read_csv(index_col=0)`); without an empty first header cell every column is an agent.
 */

/** pandas' default missing-value markers */
const MISSING = new Set(["", "NA", "N/A", "n/a", "NaN", "nan", "-NaN", "-nan", "NULL", "null", "None", "<NA>", "#N/A"]);
const DECIMAL = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

/**
 * Parses a scores CSV into `{agent: scores}`, in column order. `source` (e.g. the file name)
 * prefixes error messages, which name the line and column of a bad cell.
 */
export function parseScoresCsv(text: string, source = "CSV"): Record<string, number[]> {
  return parseScoresTable(text, source).scores;
}

/**
 * As `parseScoresCsv`, with the agents in column order: an object's keys do not keep it for
 * integer-like names ("2" comes before "10" and before "PPO"). Columns named in `skip` are
 * left unread (they may hold anything, as the reference ignores agents it no longer needs).
 */
export function parseScoresTable(text: string, source = "CSV", skip: ReadonlySet<string> = new Set()): { agents: string[]; scores: Record<string, number[]> } {
  const fail = (problem: string): never => {
    throw new RangeError(`${source}: ${problem}`);
  };
  const records = csvRecords(text.replace(/^\uFEFF/, ""), fail).filter(({ cells }) => !(cells.length === 1 && cells[0]!.trim() === ""));
  if (records.length === 0) fail("is empty; expected a header row of agent names");
  const [header, ...rows] = records;
  const names = header!.cells.map((name) => name.trim());
  const hasIndex = names[0] === "" || names[0] === "Unnamed: 0";
  const first = hasIndex ? 1 : 0;
  const agents = names.slice(first);
  if (agents.length === 0) fail("the header names no agent column");
  agents.forEach((name, i) => {
    if (name === "") fail(`line ${header!.line}: column ${first + i + 1} has no name`);
    if (agents.indexOf(name) !== i) fail(`line ${header!.line}: column "${name}" appears twice`);
  });
  if (rows.length === 0) fail("has a header but no rows of scores");
  const scores: Record<string, number[]> = Object.fromEntries(agents.map((name) => [name, []]));
  for (const { line, cells } of rows) {
    if (cells.length !== names.length) fail(`line ${line} has ${cells.length} cells but the header has ${names.length}`);
    agents.forEach((name, i) => {
      if (skip.has(name)) return;
      const cell = cells[first + i]!.trim();
      if (MISSING.has(cell)) fail(`line ${line}, column "${name}": missing value`);
      const value = Number(cell);
      if (!DECIMAL.test(cell) || !Number.isFinite(value)) fail(`line ${line}, column "${name}": "${cell}" is not a finite number`);
      scores[name]!.push(value);
    });
  }
  for (const name of skip) delete scores[name];
  return { agents, scores };
}

interface CsvRecord {
  /** 1-based line the record starts on */
  line: number;
  cells: string[];
}

/** RFC 4180 records: comma-separated, double-quoted cells may hold commas, newlines and "". */
function csvRecords(text: string, fail: (problem: string) => never): CsvRecord[] {
  const records: CsvRecord[] = [];
  let cells: string[] = [];
  let cell = "";
  let line = 1;
  let recordLine = 1;
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') {
        cell += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else {
        if (ch === "\n") line++;
        cell += ch;
      }
    } else if (ch === '"' && cell.trim() === "") {
      quoted = true;
      cell = "";
    } else if (ch === ",") {
      cells.push(cell);
      cell = "";
    } else if (ch === "\n" || ch === "\r") {
      if (ch === "\r" && text[i + 1] === "\n") i++;
      cells.push(cell);
      records.push({ line: recordLine, cells });
      cells = [];
      cell = "";
      recordLine = ++line;
    } else cell += ch;
  }
  if (quoted) fail(`line ${recordLine}: a quoted cell is not closed`);
  if (cell !== "" || cells.length > 0) {
    cells.push(cell);
    records.push({ line: recordLine, cells });
  }
  return records;
}
