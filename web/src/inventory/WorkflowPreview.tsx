// A workflow run that changes devices asks first, as a configuration service's run does: the
// steps whose service type changes configuration (its type has `preview_inputs`), found in
// the graph and in its sub-workflows, are each dry-run on the run's targets with the run's
// variables, and the dialog shows every such step's diff per device. Only the confirm button
// starts the real run; a workflow without such a step starts at once.
import type { ComponentChildren } from "preact";
import { useEffect, useState } from "preact/hooks";
import { api, type Page } from "../api";
import { ConfirmDialog } from "../forms/ConfirmDialog";
import { isDryRun, PreviewBody, previewInputsOf, useDryRun, type PreviewOutcome, type RunState } from "./dryRun";

interface StoredNode {
  id: string;
  ref: string;
  kind?: string;
  label?: string;
  disabled?: boolean;
  iteration_devices?: string;
}

interface StoredGraph {
  nodes?: StoredNode[];
  edges?: { source: string; target: string; kind?: string }[];
}

/** What the guard reads of a workflow (the API's AutomationRead). */
export interface RunnableWorkflow {
  name: string;
  kind: string;
  options?: Record<string, unknown> | null;
  graph?: unknown;
}

interface Definition {
  name: string;
  type: string;
  inputs: Record<string, unknown>;
  graph: unknown;
}

/** A step that changes configuration: what its dry run sends, or why it has none. */
export interface ChangingStep {
  /** Its id in the run (`sub/inner` inside a sub-workflow). */
  id: string;
  /** Its label (`Sub-workflow › Step` inside one). */
  name: string;
  service: string;
  previewInputs: Record<string, unknown>;
  /** Why it cannot be previewed; null when it can. */
  reason: string | null;
}

/** The run's body as the caller sends it: targets (or the workflow's defaults) and vars. */
export interface WorkflowRunBody {
  targets?: unknown;
  variables?: unknown;
}

/** Steps in the order a run walks them: from start, success edges before failure ones. */
export function stepOrder(graph: unknown): StoredNode[] {
  const stored = (graph ?? {}) as StoredGraph;
  const nodes = new Map((stored.nodes ?? []).map((n) => [n.id, n]));
  const edges = [...(stored.edges ?? [])].sort(
    (a, b) => Number((a.kind ?? "success") !== "success") - Number((b.kind ?? "success") !== "success"),
  );
  const order: string[] = [];
  let frontier = ["start"];
  while (frontier.length) {
    const next: string[] = [];
    for (const source of frontier)
      for (const edge of edges)
        if (edge.source === source && nodes.has(edge.target) && !order.includes(edge.target)) {
          order.push(edge.target);
          next.push(edge.target);
        }
    frontier = next;
  }
  for (const id of nodes.keys()) if (!order.includes(id)) order.push(id);
  return order.map((id) => nodes.get(id)!);
}

/** Why a configuration step cannot be dry-run before the run; null when it can. */
function unpreviewable(service: Definition, node: StoredNode): string | null {
  const inputs = service.inputs;
  if (node.iteration_devices)
    return "It runs on the devices an expression picks during the run (iteration devices), not on the run's targets: it cannot be previewed.";
  if (service.type === "napalm_config" && inputs.action === "rollback")
    return "It rolls back the last NAPALM commit on each device: it cannot be previewed.";
  if (service.type === "config_restore" && inputs.from_step && inputs.version == null && inputs.commit == null)
    return `It restores the version that step “${String(inputs.from_step)}” saves during this run: that version does not exist yet, so it cannot be previewed.`;
  return null;
}

/** Every step of the workflow (sub-workflows included, disabled steps not) whose service
 * changes configuration, in walk order. */
export async function changingSteps(workflow: RunnableWorkflow): Promise<ChangingStep[]> {
  const asked = new Map<string, Promise<Definition | null>>();
  const lookup = (kind: "services" | "workflows", name: string) => {
    const key = `${kind}:${name}`;
    let found = asked.get(key);
    if (!found) {
      found = api<Page<Definition>>(`/api/v1/${kind}?limit=1000&name=${encodeURIComponent(name)}`).then(
        (page) => page.items.find((item) => item.name === name) ?? null,
      );
      asked.set(key, found);
    }
    return found;
  };
  const walk = async (graph: unknown, prefix: string, title: string, seen: string[]): Promise<ChangingStep[]> => {
    const found = await Promise.all(
      stepOrder(graph).map(async (node): Promise<ChangingStep[]> => {
        if (node.disabled) return []; // not run: every device passes through
        const name = `${title}${node.label || node.ref}`;
        if (node.kind === "workflow") {
          const inner = seen.includes(node.ref) ? null : await lookup("workflows", node.ref);
          return inner ? walk(inner.graph, `${prefix}${node.id}/`, `${name} › `, [...seen, node.ref]) : [];
        }
        const service = await lookup("services", node.ref);
        if (!service) return []; // the run itself is refused
        const previewInputs = await previewInputsOf(service.type);
        if (!previewInputs || isDryRun(service.inputs, previewInputs)) return [];
        return [{ id: prefix + node.id, name, service: service.name, previewInputs, reason: unpreviewable(service, node) }];
      }),
    );
    return found.flat();
  };
  return walk(workflow.graph, "", "", [workflow.name]);
}

function StepPreview({ step, body, onSettled }: {
  step: ChangingStep;
  body: { targets: unknown; variables: unknown };
  onSettled: (id: string, outcome: PreviewOutcome) => void;
}) {
  const outcome = useDryRun(step.reason ? null : () =>
    api<RunState>(`/api/v1/run/${encodeURIComponent(step.service)}`, {
      method: "POST",
      body: JSON.stringify({ ...body, inputs: step.previewInputs, wait: 60 }),
    }));
  useEffect(() => {
    if (outcome.previews || outcome.problem) onSettled(step.id, outcome);
  }, [outcome]);
  return (
    <section class="step-preview" aria-label={`Step ${step.name}`}>
      <h4>
        {step.name}
        {step.service !== step.name && <small class="meta"> (service {step.service})</small>}
      </h4>
      {step.reason ? <p class="notice">{step.reason}</p> : <PreviewBody outcome={outcome} />}
    </section>
  );
}

interface DialogProps {
  workflow: RunnableWorkflow;
  steps: ChangingStep[];
  body: WorkflowRunBody;
  /** Starts the real run (and shows it). */
  start: () => Promise<unknown>;
  device?: string;
  /** Said above the steps (e.g. the whole workflow's steps). */
  children?: ComponentChildren;
  onClose: () => void;
}

/** The confirmation: each configuration step's dry run, then the real run on confirm. */
export function WorkflowChangeDialog({ workflow, steps, body, start, device, children, onClose }: DialogProps) {
  const [settled, setSettled] = useState<Record<string, PreviewOutcome>>({});
  // the devices the real run would use: the chosen targets, else the workflow's defaults
  const sent = {
    targets: body.targets ?? workflow.options?.targets ?? { devices: [], pools: [] },
    variables: body.variables ?? {},
  };
  const previewable = steps.filter((s) => !s.reason);
  const ready = previewable.every((s) => s.id in settled);
  const devices = new Set(Object.values(settled).flatMap((o) => (o.previews ?? []).map((p) => p.device)));
  const where = device ?? (devices.size ? `${devices.size} device${devices.size === 1 ? "" : "s"}` : "its targets");
  return (
    <ConfirmDialog title={`Run ${workflow.name}${device ? ` on ${device}` : ""}`}
      confirmLabel={`Run ${workflow.name} on ${where}`} ready={ready} onConfirm={start} onClose={onClose}>
      {children}
      <p class="notice" role="note">
        {steps.length === 1 ? "This step changes" : `These ${steps.length} steps change`} device
        configuration. Each is previewed on its own against the devices' current configuration:
        the earlier steps of the workflow have not run, so a step may find more, less or fail
        here where it would not in the run.
      </p>
      {steps.map((step) => (
        <StepPreview key={step.id} step={step} body={sent}
          onSettled={(id, outcome) => setSettled((all) => ({ ...all, [id]: outcome }))} />
      ))}
    </ConfirmDialog>
  );
}

interface PendingWorkflow {
  workflow: RunnableWorkflow;
  steps: ChangingStep[];
  body: WorkflowRunBody;
  start: () => Promise<unknown>;
  device?: string;
  note?: ComponentChildren;
}

/** `intercept(workflow, body, start, device)` answers true when the workflow has a step that
 * changes configuration and it opened the confirmation (its dry runs) instead of calling
 * `start`; render `dialog`. Otherwise it answers false and the caller starts the run. */
export function useWorkflowGuard() {
  const [pending, setPending] = useState<PendingWorkflow | null>(null);
  const intercept = async (
    workflow: RunnableWorkflow,
    body: WorkflowRunBody,
    start: () => Promise<unknown>,
    device?: string,
    note?: ComponentChildren,
  ) => {
    const steps = await changingSteps(workflow);
    if (!steps.length) return false;
    setPending({ workflow, steps, body, start, device, note });
    return true;
  };
  const dialog = pending && (
    <WorkflowChangeDialog workflow={pending.workflow} steps={pending.steps} body={pending.body}
      start={pending.start} device={pending.device} onClose={() => setPending(null)}>
      {pending.note}
    </WorkflowChangeDialog>
  );
  return { intercept, dialog };
}
