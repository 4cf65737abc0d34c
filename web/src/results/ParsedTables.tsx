// Structured data found in a step result, drawn as tables: TextFSM/TTP rows per command
// (outputs[].parsed), NAPALM getters (dicts keyed by interface, neighbor, ...).

type Json = unknown;
type Record_ = Record<string, Json>;

interface Found {
  caption: string;
  columns: string[];
  rows: Json[][];
}

const isRecord = (value: Json): value is Record_ =>
  typeof value === "object" && value !== null && !Array.isArray(value);

function fromRows(caption: string, items: Record_[]): Found {
  const columns = [...new Set(items.flatMap((item) => Object.keys(item)))];
  return { caption, columns, rows: items.map((item) => columns.map((c) => item[c])) };
}

/** Tables in ``value`` (depth-limited): a list of records, or a record of records. */
function collect(caption: string, value: Json, found: Found[], depth = 0): void {
  if (depth > 3) return;
  if (Array.isArray(value) && value.length && value.every(isRecord)) {
    found.push(fromRows(caption, value as Record_[]));
  } else if (isRecord(value)) {
    const entries = Object.entries(value);
    if (entries.length && entries.every(([, v]) => isRecord(v) && Object.values(v).every((x) => !isRecord(x)))) {
      const items = entries.map(([key, v]) => ({ name: key, ...(v as Record_) }));
      found.push(fromRows(caption, items));
    } else if (entries.length && depth > 0 && entries.every(([, v]) => !isRecord(v) && !Array.isArray(v))) {
      found.push({ caption, columns: ["field", "value"], rows: entries.map(([k, v]) => [k, v]) });
    } else {
      for (const [key, inner] of entries) collect(caption ? `${caption} › ${key}` : key, inner, found, depth + 1);
    }
  }
}

export function tablesOf(result: Record_): Found[] {
  const found: Found[] = [];
  const outputs = result.outputs;
  if (Array.isArray(outputs)) {
    for (const output of outputs) {
      if (isRecord(output) && output.parsed !== undefined && output.parsed !== null)
        collect(String(output.command ?? "output"), output.parsed, found, 1);
    }
  }
  for (const key of ["getters", "parsed", "data"]) {
    if (result[key] !== undefined) collect(key, result[key], found, 1);
  }
  return found;
}

function show(value: Json): string {
  if (value === null || value === undefined) return "";
  if (Array.isArray(value)) return value.map(show).join(", ");
  if (typeof value === "object") return JSON.stringify(value);
  return String(value);
}

export function ParsedTables({ result }: { result: Record_ }) {
  const tables = tablesOf(result);
  if (!tables.length) return null;
  return (
    <div class="parsed">
      {tables.map((table, index) => (
        <figure key={index} class="card parsed-table" aria-label={`Parsed ${table.caption}`}>
          <figcaption>{table.caption} <small>{table.rows.length} rows</small></figcaption>
          <div class="scroll">
            <table class="grid">
              <thead>
                <tr>{table.columns.map((c) => <th key={c}>{c}</th>)}</tr>
              </thead>
              <tbody>
                {table.rows.map((row, r) => (
                  <tr key={r}>{row.map((cell, c) => <td key={c}>{show(cell)}</td>)}</tr>
                ))}
              </tbody>
            </table>
          </div>
        </figure>
      ))}
    </div>
  );
}
