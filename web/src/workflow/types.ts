// The API's shapes the workflow builder reads and writes (src/netweave/core/automation/schemas.py).

/** success/failure: the path a device takes on that outcome (one of each per step);
 * prerequisite: followed after the step ran whatever its outcome (parallel branches), and
 * a step with several prerequisite edges into it waits for all of them. */
export type EdgeKind = "success" | "failure" | "prerequisite";
export type OutcomeKind = "success" | "failure";
export type StepKind = "service" | "workflow";

export interface Point {
  x: number;
  y: number;
}

/** A step's per-device controls (NodeIn in schemas.py), applied by the run's controller. */
export interface StepControls {
  /** Kept in the graph, not run: every device passes through as success. */
  disabled: boolean;
  /** Jinja expression over device, vars, results: true → the step is not run for that device. */
  skip_if: string;
  /** The edge a skipped device follows. */
  skip_outcome: OutcomeKind;
  wait_before: number;
  wait_after: number;
  /** -100..100: higher is sent first when several steps are ready. */
  priority: number;
  /** Jinja expression giving device names: the step runs on those devices instead. */
  iteration_devices: string;
}

export const NO_CONTROLS: StepControls = {
  disabled: false,
  skip_if: "",
  skip_outcome: "success",
  wait_before: 0,
  wait_after: 0,
  priority: 0,
  iteration_devices: "",
};

/** Controls the API refuses on a sub-workflow step (set them on the steps inside). */
export const NOT_ON_SUBWORKFLOW = ["skip_if", "iteration_devices", "wait_before", "wait_after"] as const;

export interface StepNode extends Point, StepControls {
  id: string;
  ref: string; // the service or workflow it runs, by name
  kind: StepKind;
  label: string;
}

export interface Edge {
  source: string;
  target: string;
  kind: EdgeKind;
}

/** The builder's graph: steps with positions, edges, and where start and end are drawn. */
export interface Graph {
  nodes: StepNode[];
  edges: Edge[];
  start: Point;
  end: Point;
}

/** A graph as the API stores it (positions optional: workflows made through the API). */
export interface StoredGraph {
  nodes: ({ id: string; ref: string; kind?: StepKind; label?: string; x?: number | null; y?: number | null } &
    Partial<StepControls>)[];
  edges: { source: string; target: string; kind?: EdgeKind }[];
  layout?: { start?: Point; end?: Point };
}

export interface Automation {
  id: number;
  name: string;
  kind: "service" | "workflow";
  type: string;
  description: string;
  inputs: Record<string, unknown>;
  options: Record<string, unknown>;
  graph: StoredGraph | null;
  created_by: string;
  created_at: string;
  updated_at: string;
}

export interface ServiceType {
  name: string;
  title: string;
  description: string;
  per_device: boolean;
}

export interface RunSummary {
  counts?: Record<string, number>;
  devices?: Record<string, { outcome: string; at: string | null; path: { step: string; success: boolean }[] }>;
  steps?: Record<string, Record<string, number>>;
  partial?: boolean;
}

export interface RunRead {
  id: string;
  name: string;
  kind: string;
  status: string;
  mode: "per_device" | "per_run" | string;
  targets: string[];
  creator: string;
  summary: RunSummary;
  error: string | null;
  /** The run's report (its ``report`` option, rendered when it ended), if it declares one. */
  report?: string | null;
  created_at: string;
  started_at: string | null;
  ended_at: string | null;
}

export interface ResultRead {
  id: number;
  run_id: string;
  step: string;
  service: string;
  device: string;
  success: boolean;
  result: Record<string, unknown>;
  logs: string;
  attempts: number;
  started_at: string;
  ended_at: string;
}

export const FINAL = new Set(["success", "failure", "stopped", "error", "interrupted"]);
