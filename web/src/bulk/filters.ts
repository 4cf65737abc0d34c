// What a table's filter box sends: the API's list filters match exactly, or as a
// case-insensitive glob over the whole value when the text has `*` or `?` (see the API's
// OpenAPI descriptions). What a user types is a case-insensitive substring, so plain text is
// sent as `*text*`; typed globs are sent as they are (anchored: `*-ios-0?`).

export const isGlob = (text: string): boolean => /[*?]/.test(text);

/** The query value of what was typed in a filter box. */
export function filterValue(typed: string): string {
  const text = typed.trim();
  if (!text || isGlob(text)) return text;
  return `*${text}*`;
}

/** A glob as an anchored, case-insensitive regular expression. */
function globRegExp(glob: string): RegExp {
  const body = glob
    .split("")
    .map((c) => (c === "*" ? ".*" : c === "?" ? "." : c.replace(/[.+^${}()|[\]\\]/g, "\\$&")))
    .join("");
  return new RegExp(`^${body}$`, "i");
}

function strings(value: unknown): string[] {
  if (value === null || value === undefined) return [];
  if (Array.isArray(value)) return value.flatMap(strings);
  if (typeof value === "object") return Object.values(value as object).flatMap(strings);
  return [String(value)];
}

/** For lists filtered in the browser: does any field of ``row`` match what was typed? */
export function rowMatches(row: unknown, typed: string): boolean {
  const text = typed.trim();
  if (!text) return true;
  if (isGlob(text)) {
    const pattern = globRegExp(text);
    return strings(row).some((value) => pattern.test(value));
  }
  const needle = text.toLowerCase();
  return strings(row).some((value) => value.toLowerCase().includes(needle));
}
