// The API's shapes the workflow builder reads and writes (src/netweave/core/automation/schemas.py).

export type EdgeKind = "success" | "failure";
export type StepKind = "service" | "workflow";

export interface Point {
  x: number;
  y: number;
}

export interface StepNode extends Point {
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
  nodes: { id: string; ref: string; kind?: StepKind; label?: string; x?: number | null; y?: number | null }[];
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
