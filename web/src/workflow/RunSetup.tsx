// Before a run: pick its targets — devices by name (the server searches, so a large
// inventory stays fast), pools, and/or an inventory query; with none picked the workflow's
// default targets are used (whatever kinds they hold), or copied here to change them. Then
// the run variables (`vars.*`) its steps read.
import { useState } from "preact/hooks";
import { NO_TARGETS, TargetPicker, targetCount, type Targets } from "../automation/TargetPicker";
import { describeTargets, normalTargets, QueryFields } from "../automation/TargetQuery";
import { RunVariables, useVariables, variableValues } from "../automation/RunVariables";

export type { Targets };

interface Props {
  /** The workflow's stored default targets: any of devices, pools, query. */
  defaults: Partial<Targets> | null;
  /** The saved workflow (its variables are read from the API), null for a new one. */
  workflowId: number | null;
  dirty: boolean;
  busy: boolean;
  error: string | null;
  onRun: (targets: Targets, variables: Record<string, unknown>) => void;
  onCancel: () => void;
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n > 1 ? "s" : ""}`;
}

export function RunSetup({ defaults, workflowId, dirty, busy, error, onRun, onCancel }: Props) {
  const [targets, setTargets] = useState<Targets>(NO_TARGETS);
  const [queryKey, setQueryKey] = useState(0); // remounts the query fields when replaced
  const [showQuery, setShowQuery] = useState(false);
  const [values, setValues] = useState<Record<string, string>>({});
  const uses = useVariables(workflowId === null ? null : `/api/v1/workflows/${workflowId}`);
  const base = normalTargets(defaults);
  const picked = targetCount(targets);
  const hasDefaults = targetCount(base) > 0;
  const parts = [
    targets.devices.length && plural(targets.devices.length, "device"),
    targets.pools.length && plural(targets.pools.length, "pool"),
    targets.query && "a query",
  ].filter(Boolean);
  const label = picked ? `Run on ${parts.join(" and ")}` : "Run on the default targets";
  const copyDefaults = () => {
    setTargets(base);
    setShowQuery(Boolean(base.query));
    setQueryKey((k) => k + 1);
  };
  return (
    <form class="wf-panel-body" aria-label="Run the workflow"
      onSubmit={(e) => {
        e.preventDefault();
        onRun(targets, variableValues(values));
      }}>
      <p class="wf-kicker">Run</p>
      <h3>Choose the targets</h3>
      <TargetPicker value={targets} onChange={setTargets} stacked />
      {showQuery || targets.query ? (
        <QueryFields key={queryKey} idPrefix="wf-run" value={targets.query}
          onChange={(query) => setTargets({ ...targets, query })} />
      ) : (
        <button type="button" class="quiet" onClick={() => setShowQuery(true)}>Add an inventory query</button>
      )}
      {!picked && (
        <p class="wf-muted" aria-label="Default targets">
          {hasDefaults
            ? `None picked: the workflow's default targets (${describeTargets(base)}).`
            : "Pick at least one device, pool or query: this workflow has no default targets."}
        </p>
      )}
      {!picked && hasDefaults && (
        <button type="button" class="quiet" onClick={copyDefaults}>Change the default targets for this run</button>
      )}
      <RunVariables uses={uses} values={values} onChange={setValues} idPrefix="wf-run" />
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
