// Run a workflow on one device (the device page's run tab, beside the service panel): pick a
// workflow, see its steps, confirm, and follow the run's page. A workflow can push
// configuration, so it never starts on one click: one with configuration steps shows each
// one's dry run on the device first (WorkflowPreview).
import { useEffect, useState } from "preact/hooks";
import { api, type Page } from "../api";
import type { Automation } from "../automation/RunPanel";
import { ConfirmDialog } from "../forms/ConfirmDialog";
import { go } from "../router";
import { stepOrder, useWorkflowGuard } from "./WorkflowPreview";

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
  const guard = useWorkflowGuard();
  const steps = stepOrder(chosen?.graph).map((n) => n.label || n.ref);
  const body = { targets: { devices: [device] } };
  const start = async () => {
    const run = await api<{ id: string }>(`/api/v1/run/${encodeURIComponent(chosen!.name)}`, {
      method: "POST",
      body: JSON.stringify(body),
    });
    go(`runs/${run.id}`);
  };
  const ask = async () => {
    if (!chosen) return;
    setError(null);
    const allSteps = <p>The workflow runs its steps on {device}: {steps.join(" → ") || "none"}.</p>;
    try {
      if (!(await guard.intercept(chosen, body, start, device, allSteps))) setAsking(true);
    } catch (exc) {
      setError(exc instanceof Error ? exc.message : String(exc));
    }
  };
  return (
    <form class="card run-panel" aria-label="Run a workflow"
      onSubmit={(e) => {
        e.preventDefault();
        ask();
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
      {guard.dialog}
    </form>
  );
}
