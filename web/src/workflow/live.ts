// A run drawn on the builder's graph, derived from what the run's event stream delivered:
// every stored step result (per device) and the run's status and summary. Each device
// walks the graph; its results say which steps it passed and how, and the graph says
// where it is now (the step after its last result). Steps inside a sub-workflow report as
// "<step>/<inner>": they count for the sub-workflow's step, whose own outcome is the edge
// the device left it by. A step not run for a device (disabled, or its skip condition true)
// has a result saying so ({state: "skipped"}): it counts on the edge the device followed
// (success or failure, as the run's summary does) and as skipped; a step skipped for every
// device that reached it shows as skipped, not failed. Prerequisite edges are taken when
// the device went on to their target.
import { END, START, edgeKey } from "./model";
import { FINAL, type Edge, type EdgeKind, type Graph, type ResultRead, type RunRead } from "./types";

export type StepStatus = "pending" | "running" | "success" | "failure" | "mixed" | "skipped";

export interface StepState {
  status: StepStatus;
  /** Devices that left it on success / on failure (skipped ones included: the edge taken). */
  success: number;
  failure: number;
  running: number;
  /** Devices it was not run for (disabled, skip condition). */
  skipped: number;
}

/** A result of a step that was not run (disabled, or its skip condition was true). */
export function isSkipped(result: ResultRead): boolean {
  return result.result?.state === "skipped";
}

export interface LiveState {
  steps: Record<string, StepState>;
  /** Edges some device took ("source:kind"). */
  taken: Set<string>;
  /** Devices (or the one group, per run) that reached end. */
  reached: number;
  /** Devices the run targets. */
  targets: number;
  results: Record<string, ResultRead[]>;
  active: boolean;
}

interface Visit {
  top: string;
  results: ResultRead[];
  outcome?: boolean; // undefined: not known yet (a sub-workflow still going)
}

const topOf = (step: string) => step.split("/")[0];

function next(edges: Edge[], source: string, kind: EdgeKind): string | undefined {
  return edges.find((e) => e.source === source && e.kind === kind)?.target;
}

function visitsOf(results: ResultRead[]): Visit[] {
  const visits: Visit[] = [];
  for (const result of results) {
    const top = topOf(result.step);
    const last = visits[visits.length - 1];
    if (last && last.top === top) last.results.push(result);
    else visits.push({ top, results: [result] });
  }
  return visits;
}

/** Decide each visit's outcome; a sub-workflow's is the edge taken out of it. */
function settle(graph: Graph, visits: Visit[], finished: string | null): void {
  const kinds = new Map(graph.nodes.map((n) => [n.id, n.kind]));
  visits.forEach((visit, index) => {
    if (kinds.get(visit.top) !== "workflow") {
      visit.outcome = visit.results.every((r) => r.success);
      return;
    }
    const onSuccess = next(graph.edges, visit.top, "success");
    const onFailure = next(graph.edges, visit.top, "failure");
    const following = visits[index + 1]?.top ?? (finished === "success" ? END : null);
    if (following !== null) {
      visit.outcome = following === onSuccess || following !== onFailure;
    } else if (finished) {
      visit.outcome = false; // stopped inside it, no failure edge to take
    }
  });
}

export function liveState(graph: Graph, run: RunRead, results: ResultRead[]): LiveState {
  const active = !FINAL.has(run.status);
  const steps: Record<string, StepState> = {};
  const state = (id: string) =>
    (steps[id] ??= { status: "pending", success: 0, failure: 0, running: 0, skipped: 0 });
  // outcomes of the devices a step did run for (its status; skipped ones do not colour it)
  const ran = new Map<string, { success: number; failure: number }>();
  const didRun = (id: string, success: boolean) => {
    const found = ran.get(id) ?? { success: 0, failure: 0 };
    found[success ? "success" : "failure"] += 1;
    ran.set(id, found);
  };
  const taken = new Set<string>();
  const grouped: Record<string, ResultRead[]> = {};
  for (const result of results) (grouped[topOf(result.step)] ??= []).push(result);
  const entry = next(graph.edges, START, "success");
  let reached = 0;

  const follow = (visits: Visit[], finished: string | null, running: (top: string) => void) => {
    const moving = active && !finished; // on its way along the edge after its last step
    if (visits.length || moving) taken.add(`${START}:success`);
    visits.forEach((visit, index) => {
      if (visit.outcome === undefined) return;
      const kind: EdgeKind = visit.outcome ? "success" : "failure";
      const last = index === visits.length - 1;
      const later = new Set(visits.slice(index + 1).map((v) => v.top));
      for (const edge of graph.edges) {
        if (edge.source !== visit.top || edge.kind !== "prerequisite") continue;
        if (later.has(edge.target) || (last && moving) || (edge.target === END && finished === "success")) {
          taken.add(edgeKey(edge));
        }
      }
      const target = next(graph.edges, visit.top, kind);
      if (!target) return;
      // a later visit of the target (parallel branches interleave), or end reached
      if (later.has(target) || (target === END && finished === "success") || (last && moving)) {
        taken.add(`${visit.top}:${kind}`);
      }
    });
    if (finished === "success") reached += 1;
    if (finished || !active) return;
    const last = visits[visits.length - 1];
    if (!last) {
      if (entry && entry !== END) running(entry);
    } else if (last.outcome === undefined) {
      running(last.top);
    } else {
      const target = next(graph.edges, last.top, last.outcome ? "success" : "failure");
      if (target && target !== END) running(target);
    }
  };

  const devices = run.summary.devices ?? {};
  const outcomeOf = (name: string): string | null => {
    const outcome = devices[name]?.outcome;
    if (outcome && outcome !== "running") return outcome;
    return active ? null : (outcome ?? run.status);
  };

  if (run.mode === "per_run") {
    const visits = visitsOf(results);
    const finished = outcomeOf("all targets");
    settle(graph, visits, finished);
    const targets = new Set(run.targets);
    for (const visit of visits) {
      const step = state(visit.top);
      for (const r of visit.results) {
        step[r.success ? "success" : "failure"] += 1;
        if (isSkipped(r)) step.skipped += 1;
        else didRun(visit.top, r.success);
      }
    }
    // the last step is still going until every device (or the one "once" job) reported
    const last = visits[visits.length - 1];
    const complete =
      !last ||
      last.results.length >= run.targets.length ||
      last.results.some((r) => !targets.has(r.device));
    if (last && !complete && active) last.outcome = undefined;
    follow(visits, finished, (top) => {
      const reported = top === last?.top ? last.results.length : 0;
      state(top).running = Math.max(1, run.targets.length - reported);
    });
  } else {
    const byDevice: Record<string, ResultRead[]> = {};
    for (const result of results) (byDevice[result.device] ??= []).push(result);
    for (const device of run.targets) {
      const visits = visitsOf(byDevice[device] ?? []);
      const finished = outcomeOf(device);
      settle(graph, visits, finished);
      for (const visit of visits) {
        if (visit.outcome === undefined) continue;
        const step = state(visit.top);
        step[visit.outcome ? "success" : "failure"] += 1;
        if (visit.results.every(isSkipped)) step.skipped += 1;
        else didRun(visit.top, visit.outcome);
      }
      follow(visits, finished, (top) => (state(top).running += 1));
    }
  }

  for (const node of graph.nodes) {
    const step = state(node.id);
    const outcomes = ran.get(node.id) ?? { success: 0, failure: 0 };
    if (step.running) step.status = "running";
    else if (outcomes.success && outcomes.failure) step.status = "mixed";
    else if (outcomes.failure) step.status = "failure";
    else if (outcomes.success) step.status = "success";
    else if (step.skipped) step.status = "skipped";
    else step.status = active ? "pending" : "skipped";
  }
  return { steps, taken, reached, targets: run.targets.length, results: grouped, active };
}
