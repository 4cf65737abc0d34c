// Before a run: pick its targets, devices by name (the server searches, so a large
// inventory stays fast) and pools; with none picked the workflow's default targets are used.
import { useState } from "preact/hooks";
import { TargetPicker, type Targets } from "../automation/TargetPicker";

export type { Targets };

interface Props {
  defaults: Targets | null;
  dirty: boolean;
  busy: boolean;
  error: string | null;
  onRun: (targets: Targets) => void;
  onCancel: () => void;
}

export function RunSetup({ defaults, dirty, busy, error, onRun, onCancel }: Props) {
  const [targets, setTargets] = useState<Targets>({ devices: [], pools: [] });
  const picked = targets.devices.length + targets.pools.length;
  const hasDefaults = Boolean(defaults && defaults.devices.length + defaults.pools.length);
  const parts = [
    targets.devices.length && `${targets.devices.length} device${targets.devices.length > 1 ? "s" : ""}`,
    targets.pools.length && `${targets.pools.length} pool${targets.pools.length > 1 ? "s" : ""}`,
  ].filter(Boolean);
  const label = picked ? `Run on ${parts.join(" and ")}` : "Run on the default targets";
  return (
    <form class="wf-panel-body" aria-label="Run the workflow"
      onSubmit={(e) => {
        e.preventDefault();
        onRun(targets);
      }}>
      <p class="wf-kicker">Run</p>
      <h3>Choose the targets</h3>
      <TargetPicker value={targets} onChange={setTargets} stacked />
      {!picked && (
        <p class="wf-muted">
          {hasDefaults
            ? `None picked: the workflow's default targets (${[...defaults!.devices, ...defaults!.pools].join(", ")}).`
            : "Pick at least one device or pool: this workflow has no default targets."}
        </p>
      )}
      {dirty && <p class="notice">The workflow has unsaved changes: it is saved first.</p>}
      {error && <p class="error" role="alert">{error}</p>}
      <footer class="wf-actions">
        <button type="button" class="quiet" onClick={onCancel}>Cancel</button>
        <button type="submit" class="wf-run" disabled={busy || (!picked && !hasDefaults)}>
          {busy ? "Starting…" : dirty ? `Save and ${label.toLowerCase()}` : label}
        </button>
      </footer>
    </form>
  );
}
