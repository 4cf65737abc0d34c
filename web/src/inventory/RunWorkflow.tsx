// Run a workflow on one device (the device page's run tab, beside the service panel): pick a
// workflow, see its steps, confirm, and follow the run's page. A workflow can push
// configuration, so it never starts on one click.
import { useEffect, useState } from "preact/hooks";
import { api, type Page } from "../api";
import type { Automation } from "../automation/RunPanel";
import { ConfirmDialog } from "../forms/ConfirmDialog";
import { go } from "../router";

interface Graph {
  nodes?: { id: string; ref: string; label?: string }[];
  edges?: { source: string; target: string; kind?: string }[];
}

/** Step names in the order a run walks them: from start, success edges before failure ones. */
function stepNames(graph: Graph | null | undefined): string[] {
  const nodes = new Map((graph?.nodes ?? []).map((n) => [n.id, n]));
  const edges = [...(graph?.edges ?? [])].sort(
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
  return order.map((id) => nodes.get(id)!.label || nodes.get(id)!.ref);
}

export function RunWorkflow({ device }: { device: string }) {
  const [workflows, setWorkflows] = useState<Automation[] | null>(null);
  const [chosen, setChosen] = useState<Automation | null>(null);
  const [asking, setAsking] = useState(false);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    api<Page<Automation>>("/api/v1/workflows?limit=1000").then(
      (page) => setWorkflows(page.items),
      (exc: Error) => setError(exc.message),
    );
  }, []);
  const steps = stepNames(chosen?.graph as Graph | null);
  const start = async () => {
    const run = await api<{ id: string }>(`/api/v1/run/${encodeURIComponent(chosen!.name)}`, {
      method: "POST",
      body: JSON.stringify({ targets: { devices: [device] } }),
    });
    go(`runs/${run.id}`);
  };
  return (
    <form class="card run-panel" aria-label="Run a workflow"
      onSubmit={(e) => {
        e.preventDefault();
        if (chosen) setAsking(true);
      }}>
      <label>
        Workflow
        <select value={chosen ? String(chosen.id) : ""}
          onChange={(e) => {
            const id = Number((e.target as HTMLSelectElement).value);
            setChosen(workflows?.find((w) => w.id === id) ?? null);
          }}>
          <option value="">
            {workflows && workflows.length === 0 ? "No workflows yet" : "Choose a workflow…"}
          </option>
          {(workflows ?? []).map((w) => (
            <option key={w.id} value={String(w.id)}>{w.name}</option>
          ))}
        </select>
      </label>
      {chosen && (
        <p class="meta" aria-label="Workflow steps">
          {chosen.description ? `${chosen.description}. ` : ""}Steps: {steps.join(" → ") || "none"}.
        </p>
      )}
      {error && <p class="error" role="alert">{error}</p>}
      <footer>
        <button type="submit" disabled={!chosen}>Run workflow on {device}</button>
      </footer>
      {asking && chosen && (
        <ConfirmDialog title={`Run ${chosen.name} on ${device}`} confirmLabel={`Run ${chosen.name}`}
          onConfirm={start} onClose={() => setAsking(false)}>
          <p>
            The workflow runs its steps on {device}: {steps.join(" → ") || "none"}. Steps that
            push configuration change the device.
          </p>
        </ConfirmDialog>
      )}
    </form>
  );
}
