// Line diff (Myers, O((N+M)·D): fast for configurations that differ in a few lines) laid
// out side by side, with long unchanged stretches folded.

export type Op = { kind: "same" | "del" | "add"; left?: number; right?: number };

export function diffLines(a: string[], b: string[]): Op[] {
  const n = a.length;
  const m = b.length;
  const max = n + m;
  const offset = max + 1;
  const v = new Int32Array(2 * max + 3);
  const trace: Int32Array[] = [];
  let found = false;
  const limit = Math.min(max, 3000); // beyond: memory for the trace; show a full replace
  for (let d = 0; d <= limit && !found; d++) {
    trace.push(v.slice());
    for (let k = -d; k <= d; k += 2) {
      let x =
        k === -d || (k !== d && v[offset + k - 1] < v[offset + k + 1])
          ? v[offset + k + 1]
          : v[offset + k - 1] + 1;
      let y = x - k;
      while (x < n && y < m && a[x] === b[y]) {
        x++;
        y++;
      }
      v[offset + k] = x;
      if (x >= n && y >= m) {
        found = true;
        break;
      }
    }
  }
  if (!found) {
    return [
      ...a.map((_, left): Op => ({ kind: "del", left })),
      ...b.map((_, right): Op => ({ kind: "add", right })),
    ];
  }
  trace.push(v.slice());
  // Walk back through the saved frontiers.
  const ops: Op[] = [];
  let x = n;
  let y = m;
  for (let d = trace.length - 2; d >= 0 && (x > 0 || y > 0); d--) {
    const frontier = trace[d];
    const k = x - y;
    const down = k === -d || (k !== d && frontier[offset + k - 1] < frontier[offset + k + 1]);
    const previousK = down ? k + 1 : k - 1;
    const previousX = d === 0 ? 0 : frontier[offset + previousK];
    const previousY = d === 0 ? 0 : previousX - previousK;
    while (x > previousX && y > previousY) {
      x--;
      y--;
      ops.push({ kind: "same", left: x, right: y });
    }
    if (d > 0) {
      if (down) {
        y--;
        ops.push({ kind: "add", right: y });
      } else {
        x--;
        ops.push({ kind: "del", left: x });
      }
    }
  }
  while (x > 0 && y > 0) {
    x--;
    y--;
    ops.push({ kind: "same", left: x, right: y });
  }
  return ops.reverse();
}

export interface Row {
  kind: "same" | "change" | "del" | "add" | "fold";
  left?: { number: number; text: string };
  right?: { number: number; text: string };
  folded?: number;
}

/** Pairs deletions with the additions that follow them; folds unchanged runs beyond
 * ``context`` lines around a change. */
export function sideBySide(before: string, after: string, context = 3): Row[] {
  const a = before.split("\n");
  const b = after.split("\n");
  const ops = diffLines(a, b);
  const rows: Row[] = [];
  for (let i = 0; i < ops.length; ) {
    if (ops[i].kind === "same") {
      const op = ops[i++];
      rows.push({
        kind: "same",
        left: { number: op.left! + 1, text: a[op.left!] },
        right: { number: op.right! + 1, text: b[op.right!] },
      });
      continue;
    }
    const dels: Op[] = [];
    const adds: Op[] = [];
    while (i < ops.length && ops[i].kind !== "same") {
      (ops[i].kind === "del" ? dels : adds).push(ops[i]);
      i++;
    }
    for (let j = 0; j < Math.max(dels.length, adds.length); j++) {
      const del = dels[j];
      const add = adds[j];
      rows.push({
        kind: del && add ? "change" : del ? "del" : "add",
        left: del ? { number: del.left! + 1, text: a[del.left!] } : undefined,
        right: add ? { number: add.right! + 1, text: b[add.right!] } : undefined,
      });
    }
  }
  // Fold.
  const near = rows.map(() => false);
  rows.forEach((row, index) => {
    if (row.kind === "same") return;
    for (let j = Math.max(0, index - context); j <= Math.min(rows.length - 1, index + context); j++)
      near[j] = true;
  });
  const folded: Row[] = [];
  for (let index = 0; index < rows.length; ) {
    if (near[index] || rows[index].kind !== "same") {
      folded.push(rows[index++]);
      continue;
    }
    let end = index;
    while (end < rows.length && !near[end] && rows[end].kind === "same") end++;
    folded.push({ kind: "fold", folded: end - index });
    index = end;
  }
  return folded;
}

/** Rows of a unified diff (as the API's git and operational diff endpoints answer it) for
 * the side-by-side view: deletions paired with the additions that follow them, like
 * ``sideBySide``, and the unchanged stretches between hunks folded. */
export function rowsFromUnified(diff: string): Row[] {
  const rows: Row[] = [];
  let oldLine = 1; // the next line number on each side
  let newLine = 1;
  let oldLeft = 0; // lines the current hunk still holds on each side
  let newLeft = 0;
  let dels: { number: number; text: string }[] = [];
  let adds: { number: number; text: string }[] = [];
  const flush = () => {
    for (let j = 0; j < Math.max(dels.length, adds.length); j++) {
      const [left, right] = [dels[j], adds[j]];
      rows.push({ kind: left && right ? "change" : left ? "del" : "add", left, right });
    }
    dels = [];
    adds = [];
  };
  for (const line of diff.split("\n")) {
    const hunk = /^@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@/.exec(line);
    if (hunk) {
      flush();
      const [start, oldCount, newStart, newCount] = [hunk[1], hunk[2] ?? "1", hunk[3], hunk[4] ?? "1"].map(Number);
      // an empty side's start is the line before it (-0,0 or -36,0)
      const from = oldCount === 0 ? start + 1 : start;
      if (from > oldLine) rows.push({ kind: "fold", folded: from - oldLine });
      [oldLine, newLine, oldLeft, newLeft] = [from, newCount === 0 ? newStart + 1 : newStart, oldCount, newCount];
      continue;
    }
    if (oldLeft <= 0 && newLeft <= 0) continue; // file headers, trailing newline, "\ No newline"
    if (line.startsWith("-")) {
      dels.push({ number: oldLine++, text: line.slice(1) });
      oldLeft--;
    } else if (line.startsWith("+")) {
      adds.push({ number: newLine++, text: line.slice(1) });
      newLeft--;
    } else if (!line.startsWith("\\")) {
      flush();
      const text = line.slice(1);
      rows.push({ kind: "same", left: { number: oldLine++, text }, right: { number: newLine++, text } });
      oldLeft--;
      newLeft--;
    }
  }
  flush();
  return rows;
}

/** One line of a unified diff, classified for colouring: file headers (meta), hunk headers,
 * removed, added and unchanged lines. */
export interface DiffLine {
  kind: "meta" | "hunk" | "del" | "add" | "context";
  text: string;
}

export function unifiedLines(diff: string): DiffLine[] {
  let inHunk = false; // "--- a" before the first hunk is a file header, after it a removed line
  return diff
    .split("\n")
    .filter((line, index, all) => line !== "" || index < all.length - 1)
    .map((text): DiffLine => {
      if (!inHunk && (text.startsWith("+++") || text.startsWith("---"))) return { kind: "meta", text };
      if (text.startsWith("@@")) {
        inHunk = true;
        return { kind: "hunk", text };
      }
      if (text.startsWith("+")) return { kind: "add", text };
      if (text.startsWith("-")) return { kind: "del", text };
      return { kind: "context", text };
    });
}
