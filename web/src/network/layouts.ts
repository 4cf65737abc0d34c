// Topology layouts. Grouped by site, the drawing is built in two levels: each site's devices
// sit in rings around its most linked device (the site's router, usually), and the sites, as
// discs sized for their devices, are placed by a small force simulation of their own (linked
// sites close, none overlapping). Site boxes never overlap and it scales to thousands of
// devices; Cytoscape's force layout on nested boxes does neither.
import type { Core, LayoutOptions, NodeSingular, Position } from "cytoscape";

export type LayoutName = "cose" | "concentric" | "breadthfirst" | "circle" | "grid";

export const FORCE_LIMIT = 600; // beyond this many nodes a flat force layout is too slow

const SPACING = 64; // between two devices on a ring
const PADDING = 36;

export function layoutOptions(name: LayoutName, nodes: number): LayoutOptions {
  const base = { name, animate: false, fit: false, padding: PADDING } as const;
  if (name === "cose") {
    return {
      ...base,
      name: "cose",
      nodeDimensionsIncludeLabels: true,
      idealEdgeLength: () => 60,
      nodeRepulsion: () => 6000,
      gravity: 0.35,
      numIter: nodes > 200 ? 600 : 1500,
      componentSpacing: 60,
    };
  }
  if (name === "concentric") {
    return {
      ...base,
      name: "concentric",
      concentric: (n) => n.degree(false),
      levelWidth: () => 2,
      minNodeSpacing: 24,
    };
  }
  if (name === "breadthfirst") return { ...base, name: "breadthfirst", spacingFactor: 1.1, directed: false };
  return { ...base, name } as LayoutOptions;
}

/** Positions around (0, 0) for a site's devices, the most linked first: two side by side,
 * three in a triangle (the first on top), more in rings around the first. */
function rings(count: number): { spots: Position[]; radius: number } {
  const step = SPACING * 1.4; // room for a name under each device
  if (count === 1) return { spots: [{ x: 0, y: 0 }], radius: 0 };
  if (count === 2) return { spots: [{ x: -step / 2, y: 0 }, { x: step / 2, y: 0 }], radius: step / 2 };
  if (count === 3) {
    const spots = [{ x: 0, y: -step / 2 }, { x: -step / 2, y: step / 2 }, { x: step / 2, y: step / 2 }];
    return { spots, radius: step * 0.71 };
  }
  const spots: Position[] = [{ x: 0, y: 0 }];
  let ring = 1;
  while (spots.length < count) {
    const radius = ring * step;
    const capacity = Math.max(6, Math.floor((2 * Math.PI * radius) / SPACING));
    const here = Math.min(capacity, count - spots.length);
    for (let i = 0; i < here; i++) {
      const angle = -Math.PI / 2 + (2 * Math.PI * i) / here + (ring % 2 ? 0 : Math.PI / here);
      spots.push({ x: radius * Math.cos(angle), y: radius * Math.sin(angle) });
    }
    ring += 1;
  }
  return { spots, radius: (ring - 1) * step };
}

/** Discs (one per site) placed without overlap, linked discs pulled together: a small
 * spring-electrical simulation, deterministic, from a spiral in breadth-first order. */
export function placeDiscs(radii: number[], edges: [number, number][], gap = 30): Position[] {
  const n = radii.length;
  const adjacent: number[][] = radii.map(() => []);
  for (const [a, b] of edges) {
    adjacent[a].push(b);
    adjacent[b].push(a);
  }
  const order: number[] = [];
  const seen = new Set<number>();
  const starts = [...radii.keys()].sort((a, b) => radii[b] - radii[a] || adjacent[b].length - adjacent[a].length);
  for (const start of starts) {
    if (seen.has(start)) continue;
    seen.add(start);
    const queue = [start];
    while (queue.length) {
      const v = queue.shift()!;
      order.push(v);
      for (const w of adjacent[v]) {
        if (!seen.has(w)) {
          seen.add(w);
          queue.push(w);
        }
      }
    }
  }
  const mean = radii.reduce((sum, r) => sum + r, 0) / Math.max(1, n) + gap / 2;
  const x = new Float64Array(n);
  const y = new Float64Array(n);
  order.forEach((v, i) => {
    const angle = i * 2.39996; // the golden angle: an even spiral
    const distance = 2 * mean * Math.sqrt(i);
    x[v] = distance * Math.cos(angle);
    y[v] = distance * Math.sin(angle);
  });
  const iterations = n > 300 ? 80 : n > 100 ? 200 : 400;
  for (let step = 0; step < iterations; step++) {
    const limit = mean * (0.05 + 0.5 * (1 - step / iterations));
    const dx = new Float64Array(n);
    const dy = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      for (let j = i + 1; j < n; j++) {
        const d = Math.hypot(x[j] - x[i], y[j] - y[i]) || 0.01;
        const ux = (x[j] - x[i]) / d;
        const uy = (y[j] - y[i]) / d;
        const room = radii[i] + radii[j] + gap;
        const push = d < room ? (room - d) * 0.5 : (mean * mean) / (d * 8);
        dx[i] -= ux * push;
        dy[i] -= uy * push;
        dx[j] += ux * push;
        dy[j] += uy * push;
      }
    }
    for (const [a, b] of edges) {
      const d = Math.hypot(x[b] - x[a], y[b] - y[a]) || 0.01;
      const pull = ((d - (radii[a] + radii[b] + gap * 1.5)) * 0.15) / d;
      dx[a] += (x[b] - x[a]) * pull;
      dy[a] += (y[b] - y[a]) * pull;
      dx[b] -= (x[b] - x[a]) * pull;
      dy[b] -= (y[b] - y[a]) * pull;
    }
    for (let i = 0; i < n; i++) {
      dx[i] -= x[i] * 0.02; // a little gravity keeps separate groups close
      dy[i] -= y[i] * 0.02;
      const length = Math.hypot(dx[i], dy[i]);
      const scale = length > limit ? limit / length : 1;
      x[i] += dx[i] * scale;
      y[i] += dy[i] * scale;
    }
  }
  for (let pass = 0; pass < 50; pass++) {
    let moved = false;
    for (let i = 0; i < n; i++) {
      for (let j = i + 1; j < n; j++) {
        const d = Math.hypot(x[j] - x[i], y[j] - y[i]) || 0.01;
        const room = radii[i] + radii[j] + gap * 0.75;
        if (d >= room) continue;
        moved = true;
        const push = (room - d) / 2 + 0.5;
        const ux = (x[j] - x[i]) / d;
        const uy = (y[j] - y[i]) / d;
        x[i] -= ux * push;
        y[i] -= uy * push;
        x[j] += ux * push;
        y[j] += uy * push;
      }
    }
    if (!moved) break;
  }
  return [...radii.keys()].map((i) => ({ x: x[i], y: y[i] }));
}

function layoutBySite(cy: Core): void {
  const groups = new Map<string, NodeSingular[]>();
  cy.nodes()
    .filter((n) => n.isChildless())
    .forEach((node) => {
      const key = (node.data("parent") as string | undefined) ?? `solo:${node.id()}`;
      const members = groups.get(key) ?? [];
      members.push(node);
      groups.set(key, members);
    });
  const keys = [...groups.keys()];
  const index = new Map(keys.map((key, i) => [key, i]));
  const local = new Map<string, Position>();
  const groupOf = new Map<string, number>();
  const radii = keys.map((key) => {
    const members = groups.get(key)!;
    members.sort((a, b) => b.degree(false) - a.degree(false) || a.id().localeCompare(b.id()));
    const { spots, radius } = rings(members.length);
    members.forEach((node, i) => {
      local.set(node.id(), spots[i]);
      groupOf.set(node.id(), index.get(key)!);
    });
    return radius + 48; // room for the names and the site's box
  });
  const pairs = new Map<string, [number, number]>();
  cy.edges().forEach((edge) => {
    const a = groupOf.get(edge.source().id())!;
    const b = groupOf.get(edge.target().id())!;
    if (a !== b) pairs.set(a < b ? `${a}-${b}` : `${b}-${a}`, a < b ? [a, b] : [b, a]);
  });
  const centres = placeDiscs(radii, [...pairs.values()]);
  cy.batch(() => {
    cy.nodes()
      .filter((n) => n.isChildless())
      .positions((node) => {
        const centre = centres[groupOf.get(node.id())!];
        const offset = local.get(node.id())!;
        return { x: centre.x + offset.x, y: centre.y + offset.y };
      });
  });
}

/** Lay out (by site, or with a Cytoscape layout), then turn a drawing taller than wide on
 * its side when the view is wide (the graph then fits at a larger zoom: names stay
 * readable) and fit it. */
export function arrange(cy: Core, name: LayoutName, bySite: boolean): void {
  const finish = () => {
    const box = cy.elements().boundingBox();
    if (cy.width() > cy.height() && box.h > box.w * 1.15) {
      cy.batch(() => {
        cy.nodes()
          .filter((n) => n.isChildless())
          .positions((n) => ({ x: n.position("y"), y: n.position("x") }));
      });
    }
    cy.fit(undefined, PADDING);
  };
  if (bySite) {
    layoutBySite(cy);
    finish();
    return;
  }
  const flat = name === "cose" && cy.nodes().length > FORCE_LIMIT ? "grid" : name;
  const layout = cy.layout(layoutOptions(flat, cy.nodes().length));
  layout.one("layoutstop", finish);
  layout.run();
}
