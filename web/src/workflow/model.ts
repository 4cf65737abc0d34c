// The builder's graph operations, pure: geometry of nodes and ports, connecting under the
// engine's rules (one success and one failure edge per step, any number of prerequisite
// edges, nothing into start or out of end, start has a success edge only), and converting
// to and from the API's shape (a step's controls: only those that differ from the default).
import { NO_CONTROLS, type Edge, type EdgeKind, type Graph, type Point, type StepControls, type StepKind, type StepNode, type StoredGraph } from "./types";

export const START = "start";
export const END = "end";

export const STEP = { w: 250, h: 78 };
export const TERMINAL = { w: 132, h: 52 };

export function isTerminal(id: string): boolean {
  return id === START || id === END;
}

export function size(id: string): { w: number; h: number } {
  return isTerminal(id) ? TERMINAL : STEP;
}

export function position(graph: Graph, id: string): Point {
  if (id === START) return graph.start;
  if (id === END) return graph.end;
  const node = graph.nodes.find((n) => n.id === id);
  return node ?? { x: 0, y: 0 };
}

/** Where an edge leaves ``id``: the success port above the failure port on the right
 * (start has one), the prerequisite port in the middle of the bottom edge. */
export function outPort(graph: Graph, id: string, kind: EdgeKind): Point {
  const at = position(graph, id);
  const { w, h } = size(id);
  if (id === START) return { x: at.x + w, y: at.y + h / 2 };
  if (kind === "prerequisite") return { x: at.x + w / 2, y: at.y + h };
  return { x: at.x + w, y: at.y + (kind === "success" ? h * 0.34 : h * 0.7) };
}

export function inPort(graph: Graph, id: string): Point {
  const at = position(graph, id);
  return { x: at.x - 6, y: at.y + size(id).h / 2 }; // the arrow's tip, just off the card
}

/** The Bézier control points: left to right (looping back around when going left); from
 * a bottom port (``down``), first downwards, then into the target from the left. */
function controls(from: Point, to: Point, down: boolean): [Point, Point] {
  const dx = to.x - from.x;
  const reach = dx > 0 ? Math.max(40, dx / 2) : Math.max(80, Math.min(220, -dx / 2 + 60));
  if (down) {
    const drop = Math.max(50, Math.min(160, Math.abs(to.y - from.y) / 2 + 30));
    return [{ x: from.x, y: from.y + drop }, { x: to.x - reach, y: to.y }];
  }
  const lift = dx > 0 ? 0 : Math.sign(to.y - from.y || 1) * 30;
  return [{ x: from.x + reach, y: from.y + lift }, { x: to.x - reach, y: to.y - lift }];
}

/** A smooth curve between two ports (``down``: leaving a bottom port, a prerequisite edge). */
export function curve(from: Point, to: Point, down = false): string {
  const [c1, c2] = controls(from, to, down);
  return `M ${from.x} ${from.y} C ${c1.x} ${c1.y}, ${c2.x} ${c2.y}, ${to.x} ${to.y}`;
}

/** The curve's middle (for the delete button of a selected edge). */
export function midpoint(from: Point, to: Point, down = false): Point {
  const [c1, c2] = controls(from, to, down);
  return {
    x: 0.125 * from.x + 0.375 * c1.x + 0.375 * c2.x + 0.125 * to.x,
    y: 0.125 * from.y + 0.375 * c1.y + 0.375 * c2.y + 0.125 * to.y,
  };
}

/** A step id from the service name: lowercase, the API's characters, unique in the graph. */
export function stepId(ref: string, graph: Graph): string {
  const base =
    ref
      .toLowerCase()
      .replace(/[^a-z0-9_.-]+/g, "-")
      .replace(/^[-.]+|[-.]+$/g, "")
      .slice(0, 48) || "step";
  const taken = new Set([START, END, ...graph.nodes.map((n) => n.id)]);
  if (!taken.has(base)) return base;
  for (let n = 2; ; n++) if (!taken.has(`${base}-${n}`)) return `${base}-${n}`;
}

export function addStep(graph: Graph, ref: string, kind: StepKind, at: Point): [Graph, string] {
  const id = stepId(ref, graph);
  const node: StepNode = { id, ref, kind, label: "", ...NO_CONTROLS, x: Math.round(at.x), y: Math.round(at.y) };
  return [{ ...graph, nodes: [...graph.nodes, node] }, id];
}

export function moveTo(graph: Graph, id: string, at: Point): Graph {
  const rounded = { x: Math.round(at.x), y: Math.round(at.y) };
  if (id === START) return { ...graph, start: rounded };
  if (id === END) return { ...graph, end: rounded };
  return { ...graph, nodes: graph.nodes.map((n) => (n.id === id ? { ...n, ...rounded } : n)) };
}

/** Why ``source --kind--> target`` cannot exist, or null when it can. */
export function refusal(source: string, kind: EdgeKind, target: string): string | null {
  if (source === target) return "a step cannot lead to itself";
  if (source === END) return "nothing leaves end";
  if (target === START) return "nothing enters start";
  if (source === START && kind !== "success") return "start has a success edge only";
  return null;
}

/** Connect; an existing success (failure) edge from ``source`` is replaced (one path each);
 * prerequisite edges add up (the same pair once). */
export function connect(graph: Graph, source: string, kind: EdgeKind, target: string): Graph {
  const replaced = (e: Edge) =>
    e.source === source && e.kind === kind && (kind !== "prerequisite" || e.target === target);
  return { ...graph, edges: [...graph.edges.filter((e) => !replaced(e)), { source, target, kind }] };
}

/** The edge made another kind (the same two steps); [graph, the edge's new key]. */
export function rekind(graph: Graph, key: string, kind: EdgeKind): [Graph, string] {
  const edge = graph.edges.find((e) => edgeKey(e) === key);
  if (!edge || edge.kind === kind) return [graph, key];
  const next = connect(removeEdge(graph, key), edge.source, kind, edge.target);
  return [next, edgeKey({ ...edge, kind })];
}

/** A step's controls changed (a partial update of one step). */
export function setControls(graph: Graph, id: string, change: Partial<StepControls>): Graph {
  return { ...graph, nodes: graph.nodes.map((n) => (n.id === id ? { ...n, ...change } : n)) };
}

/** The controls that differ from the defaults (what is stored, and what the badges show). */
export function changedControls(node: StepControls): Partial<StepControls> {
  const found: Partial<StepControls> = {};
  for (const key of Object.keys(NO_CONTROLS) as (keyof StepControls)[]) {
    if (node[key] !== NO_CONTROLS[key]) (found as Record<string, unknown>)[key] = node[key];
  }
  return found;
}

/** A stored node's controls, defaults filled in (anything of the wrong type ignored). */
function controlsOf(raw: Partial<StepControls>): StepControls {
  const found: StepControls = { ...NO_CONTROLS };
  for (const key of Object.keys(NO_CONTROLS) as (keyof StepControls)[]) {
    const value = raw[key];
    if (value !== undefined && value !== null && typeof value === typeof NO_CONTROLS[key]) {
      (found as unknown as Record<string, unknown>)[key] = value;
    }
  }
  return found;
}

export function removeStep(graph: Graph, id: string): Graph {
  if (isTerminal(id)) return graph;
  return {
    ...graph,
    nodes: graph.nodes.filter((n) => n.id !== id),
    edges: graph.edges.filter((e) => e.source !== id && e.target !== id),
  };
}

/** "source:kind" (one success and one failure edge per step); a prerequisite edge also
 * names its target ("source:prerequisite:target"): a step may have many. */
export function edgeKey(edge: Edge): string {
  return edge.kind === "prerequisite" ? `${edge.source}:prerequisite:${edge.target}` : `${edge.source}:${edge.kind}`;
}

export function removeEdge(graph: Graph, key: string): Graph {
  return { ...graph, edges: graph.edges.filter((e) => edgeKey(e) !== key) };
}

export function emptyGraph(): Graph {
  return { nodes: [], edges: [], start: { x: 60, y: 220 }, end: { x: 960, y: 220 } };
}

/** Room between columns (for the ports and the curves) and between rows. */
export const GAP = { x: 96, y: 54 };

interface Box {
  id: string;
  x: number;
  y: number;
  w: number;
  h: number;
}

function boxes(graph: Graph): Box[] {
  return [
    { id: START, ...graph.start, ...TERMINAL },
    { id: END, ...graph.end, ...TERMINAL },
    ...graph.nodes.map((n) => ({ id: n.id, x: n.x, y: n.y, ...STEP })),
  ];
}

/** The pairs of steps (start and end included) whose drawn cards intersect. */
export function overlaps(graph: Graph): [string, string][] {
  const all = boxes(graph);
  const found: [string, string][] = [];
  for (let i = 0; i < all.length; i++) {
    for (let j = i + 1; j < all.length; j++) {
      const a = all[i];
      const b = all[j];
      if (a.x < b.x + b.w && b.x < a.x + a.w && a.y < b.y + b.h && b.y < a.y + a.h) found.push([a.id, b.id]);
    }
  }
  return found;
}

/**
 * A layered left-to-right layout that never overlaps steps: columns by the longest path
 * from start (end after its last predecessor), an edge that spans columns reserves a slot
 * in each column it crosses (so no card hides it), rows ordered success path first then by
 * the rows of the predecessors; spacing from the drawn card sizes (STEP, TERMINAL) plus GAP.
 */
export function layout(graph: Graph, origin: Point = { x: 60, y: 80 }): Graph {
  const ids = [START, ...graph.nodes.map((n) => n.id), END];
  const known = new Set(ids);
  const edges = graph.edges.filter((e) => known.has(e.source) && known.has(e.target) && e.source !== e.target);
  const out = new Map<string, Edge[]>(ids.map((id) => [id, []]));
  for (const edge of edges) out.get(edge.source)!.push(edge);
  const weight: Record<EdgeKind, number> = { success: 0, failure: 1, prerequisite: 2 };
  for (const list of out.values()) list.sort((a, b) => weight[a.kind] - weight[b.kind]);

  // columns: longest path from start (the graph has no loops; the bound guards a bad one)
  const rank = new Map<string, number>([[START, 0]]);
  for (let round = 0; round <= ids.length; round++) {
    let moved = false;
    for (const edge of edges) {
      const from = rank.get(edge.source);
      if (from === undefined || edge.target === END) continue;
      if ((rank.get(edge.target) ?? -1) < from + 1 && from + 1 <= ids.length) {
        rank.set(edge.target, from + 1);
        moved = true;
      }
    }
    if (!moved) break;
  }
  for (const node of graph.nodes) if (!rank.has(node.id)) rank.set(node.id, 1); // unreachable
  const intoEnd = edges.filter((e) => e.target === END).map((e) => rank.get(e.source) ?? 0);
  const deepest = Math.max(0, ...graph.nodes.map((n) => rank.get(n.id) ?? 1));
  rank.set(END, intoEnd.length ? Math.max(...intoEnd) + 1 : deepest + 1);

  // discovery order, success first: the main path comes first in every column
  const order = new Map<string, number>();
  const visit = (id: string) => {
    if (order.has(id)) return;
    order.set(id, order.size);
    for (const edge of out.get(id) ?? []) visit(edge.target);
  };
  visit(START);
  for (const id of ids) visit(id);

  // columns of slots: real cards, and one placeholder per column an edge crosses
  const columns = new Map<number, { id: string; real: boolean; key: number }[]>();
  const put = (column: number, id: string, real: boolean, key: number) => {
    if (!columns.has(column)) columns.set(column, []);
    columns.get(column)!.push({ id, real, key });
  };
  for (const id of ids) put(rank.get(id)!, id, true, order.get(id)!);
  // each column's predecessors: the previous slot of a long edge, or its source
  const preds = new Map<string, string[]>();
  const slotId = (edge: Edge, column: number) => `${edge.source}>${edge.target}@${column}`;
  for (const edge of edges) {
    const a = rank.get(edge.source)!;
    const b = rank.get(edge.target)!;
    let previous = edge.source;
    for (let c = a + 1; c < b; c++) {
      put(c, slotId(edge, c), false, order.get(edge.target)! - 0.5 + (edge.kind === "failure" ? 0.25 : 0));
      preds.set(slotId(edge, c), [previous]);
      previous = slotId(edge, c);
    }
    preds.set(edge.target, [...(preds.get(edge.target) ?? []), previous]);
  }
  // rows: the discovery order, then towards the predecessors' mean row (stable)
  const row = new Map<string, number>();
  const last = Math.max(...columns.keys());
  for (let c = 0; c <= last; c++) {
    const column = columns.get(c) ?? [];
    const mean = (id: string, key: number) => {
      const rows = (preds.get(id) ?? []).map((p) => row.get(p)).filter((r): r is number => r !== undefined);
      return rows.length ? rows.reduce((a, b) => a + b, 0) / rows.length : key;
    };
    column.sort((a, b) => a.key - b.key);
    const wanted = column.map((slot, index) => ({ slot, at: Math.max(index, mean(slot.id, index)) }));
    wanted.sort((a, b) => a.at - b.at || a.slot.key - b.slot.key);
    let next = 0;
    for (const { slot, at } of wanted) {
      const r = Math.max(next, Math.round(at));
      row.set(slot.id, r);
      next = r + 1;
    }
  }

  // positions: column widths and row heights from the cards drawn there
  const pitch = STEP.h + GAP.y;
  const xs: number[] = [];
  let x = origin.x;
  for (let c = 0; c <= last; c++) {
    xs.push(x);
    const real = (columns.get(c) ?? []).filter((s) => s.real);
    const width = real.length ? Math.max(...real.map((s) => size(s.id).w)) : 40;
    x += width + GAP.x;
  }
  const at = (id: string): Point => {
    const c = rank.get(id)!;
    const { w, h } = size(id);
    const column = (columns.get(c) ?? []).filter((s) => s.real);
    const width = Math.max(...column.map((s) => size(s.id).w));
    return {
      x: Math.round(xs[c] + (width - w) / 2),
      y: Math.round(origin.y + row.get(id)! * pitch + (STEP.h - h) / 2),
    };
  };
  return {
    ...graph,
    nodes: graph.nodes.map((n) => ({ ...n, ...at(n.id) })),
    start: at(START),
    end: at(END),
  };
}

export function fromStored(stored: StoredGraph | null): Graph {
  if (!stored || !stored.nodes?.length) return emptyGraph();
  const edges = stored.edges.map((e) => ({ source: e.source, target: e.target, kind: e.kind ?? "success" }));
  if (stored.nodes.some((n) => n.x == null || n.y == null)) {
    const bare = stored.nodes.map((n) => ({
      id: n.id,
      ref: n.ref,
      kind: n.kind ?? "service",
      label: n.label ?? "",
      ...controlsOf(n),
      x: 0,
      y: 0,
    }));
    return layout({ nodes: bare, edges, start: { x: 0, y: 0 }, end: { x: 0, y: 0 } });
  }
  const at = (_id: string, x?: number | null, y?: number | null): Point => ({ x: x ?? 0, y: y ?? 0 });
  const nodes = stored.nodes.map((n) => ({
    id: n.id,
    ref: n.ref,
    kind: n.kind ?? "service",
    label: n.label ?? "",
    ...controlsOf(n),
    ...at(n.id, n.x, n.y),
  }));
  const layoutOf = (id: "start" | "end"): Point => {
    const saved = stored.layout?.[id];
    if (saved) return saved;
    // positions for the steps but none for start/end: beside the leftmost/rightmost step
    const xs = nodes.map((n) => n.x);
    const ys = nodes.map((n) => n.y);
    const midY = (Math.min(...ys) + Math.max(...ys)) / 2 + STEP.h / 2 - TERMINAL.h / 2;
    return id === START
      ? { x: Math.min(...xs) - 240, y: midY }
      : { x: Math.max(...xs) + STEP.w + 110, y: midY };
  };
  return {
    nodes,
    edges,
    start: layoutOf(START),
    end: layoutOf(END),
  };
}

export function toStored(graph: Graph): StoredGraph {
  return {
    nodes: graph.nodes.map((n) => ({
      id: n.id,
      ref: n.ref,
      kind: n.kind,
      label: n.label,
      ...changedControls(n),
      x: n.x,
      y: n.y,
    })),
    edges: graph.edges.map((e) => ({ source: e.source, target: e.target, kind: e.kind })),
    layout: { start: graph.start, end: graph.end },
  };
}

/** The box around everything, for "fit to screen". */
export function bounds(graph: Graph): { x: number; y: number; w: number; h: number } {
  const boxes = [
    { ...graph.start, ...TERMINAL },
    { ...graph.end, ...TERMINAL },
    ...graph.nodes.map((n) => ({ x: n.x, y: n.y, ...STEP })),
  ];
  const x = Math.min(...boxes.map((b) => b.x));
  const y = Math.min(...boxes.map((b) => b.y));
  const right = Math.max(...boxes.map((b) => b.x + b.w));
  const bottom = Math.max(...boxes.map((b) => b.y + b.h));
  return { x, y, w: right - x, h: bottom - y };
}

/** What a refused save names: the field, the message, and the step (with the control of
 * that step, e.g. "skip_if") or edge it points at. */
export interface Culprit {
  field: string;
  text: string;
  node?: string;
  control?: string;
  edge?: string;
}

/** The API's "graph.nodes[2].ref: no service named 'x'" (or pydantic's "graph.nodes.2.
 * wait_before: ...") → the step or edge it names. */
export function culprit(message: string, sent: StoredGraph): Culprit {
  const found = /^([\w.[\]]+): (.*)$/s.exec(message);
  if (!found) return { field: "", text: message };
  const [, field, text] = found;
  const node = /^graph\.nodes(?:\[(\d+)\]|\.(\d+))(?:\.(\w+))?/.exec(field);
  const edge = /^graph\.edges(?:\[(\d+)\]|\.(\d+))/.exec(field);
  const result: Culprit = { field, text };
  if (node) {
    result.node = sent.nodes[Number(node[1] ?? node[2])]?.id;
    if (node[3]) result.control = node[3];
  } else if (field === "graph.edges" && /end cannot be reached/.test(text)) result.node = END;
  else if (field === "graph.edges" && /leaves start|start leads/.test(text)) result.node = START;
  if (edge) {
    const e = sent.edges[Number(edge[1] ?? edge[2])];
    if (e) result.edge = edgeKey({ source: e.source, target: e.target, kind: e.kind ?? "success" });
  }
  return result;
}
