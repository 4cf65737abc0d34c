// A step's per-device controls in the side panel (NodeIn in schemas.py): disabled, a skip
// condition and the edge a skipped device follows, waits before and after, priority, and
// iteration devices. Saved with the workflow's graph; the API refuses skip, waits and
// iteration on a sub-workflow step (they belong on the steps inside), so those are not
// offered there. A refused save that names one of these fields shows its message under it.
import { useEffect, useState } from "preact/hooks";
import { setControls } from "./model";
import type { Culprit } from "./model";
import type { Graph, StepControls as Controls, StepNode } from "./types";

interface Props {
  graph: Graph;
  node: StepNode;
  editable: boolean;
  onChange: (graph: Graph) => void;
  /** The last refused save, when it names a field of this step. */
  problem: Culprit | null;
}

/** A number box that keeps what is typed (a half-typed "1." or an empty box) and passes on
 * every value that parses; empty means 0 (the default). */
function NumberInput({ id, value, min, max, step, disabled, invalid, onValue }: {
  id: string;
  value: number;
  min: number;
  max: number;
  step: number;
  disabled: boolean;
  invalid: boolean;
  onValue: (value: number) => void;
}) {
  const [text, setText] = useState(String(value));
  useEffect(() => {
    const shown = text.trim() === "" ? 0 : Number(text);
    if (shown !== value) setText(String(value));
  }, [value]);
  const typed = text.trim() === "" ? 0 : Number(text);
  const outside = !Number.isNaN(typed) && (typed < min || typed > max || (step === 1 && !Number.isInteger(typed)));
  return (
    <>
      <input id={id} type="number" min={min} max={max} step={step === 1 ? 1 : "any"} value={text}
        disabled={disabled} aria-invalid={invalid || outside}
        onInput={(e) => {
          const raw = (e.target as HTMLInputElement).value;
          setText(raw);
          const parsed = raw.trim() === "" ? 0 : Number(raw);
          if (!Number.isNaN(parsed)) onValue(parsed);
        }} />
      {outside && <small class="field-error">{step === 1 ? "a whole number " : ""}from {min} to {max}</small>}
    </>
  );
}

export function StepControls({ graph, node, editable, onChange, problem }: Props) {
  const set = (change: Partial<Controls>) => onChange(setControls(graph, node.id, change));
  const error = (field: keyof Controls) =>
    problem?.node === node.id && problem.control === field ? (
      <small class="field-error" role="alert">{problem.text}</small>
    ) : null;
  const invalid = (field: keyof Controls) => problem?.node === node.id && problem.control === field;
  const sub = node.kind === "workflow";
  const ids = (field: string) => `wf-${field}-${node.id}`;
  return (
    <fieldset class="wf-controls" aria-label="Step controls" disabled={!editable}>
      <legend>Controls</legend>
      <div class="wf-control">
        <label class="wf-check">
          <input type="checkbox" checked={node.disabled}
            onChange={(e) => set({ disabled: (e.target as HTMLInputElement).checked })} />
          Disabled
        </label>
        <small class="wf-help">
          Kept in the graph but not run: every device passes through it as success
          {sub ? " (and through every step inside)." : "."}
        </small>
        {error("disabled")}
      </div>
      {sub ? (
        <p class="wf-muted">
          Skip conditions, waits and iteration devices are set on the steps inside the sub-workflow.
        </p>
      ) : (
        <>
          <div class="wf-control">
            <label for={ids("skip")}>Skip condition</label>
            <input id={ids("skip")} class="code" value={node.skip_if} spellcheck={false}
              placeholder="e.g. device.platform == 'juniper_junos'" aria-invalid={invalid("skip_if")}
              onInput={(e) => set({ skip_if: (e.target as HTMLInputElement).value })} />
            <small class="wf-help">
              Jinja expression over <code>device</code>, <code>vars</code> and <code>results</code>: when
              true, the step is not run for that device.
            </small>
            {error("skip_if")}
          </div>
          <div class="wf-control">
            <label for={ids("outcome")}>A skipped device follows</label>
            <select id={ids("outcome")} value={node.skip_outcome} disabled={!editable || !node.skip_if}
              onChange={(e) => set({ skip_outcome: (e.target as HTMLSelectElement).value as Controls["skip_outcome"] })}>
              <option value="success">the success edge</option>
              <option value="failure">the failure edge</option>
            </select>
            {error("skip_outcome")}
          </div>
          <div class="wf-control-pair">
            <div class="wf-control">
              <label for={ids("before")}>Wait before (s)</label>
              <NumberInput id={ids("before")} value={node.wait_before} min={0} max={3600}
                step={0.5} disabled={!editable} invalid={invalid("wait_before")} onValue={(v) => set({ wait_before: v })} />
              {error("wait_before")}
            </div>
            <div class="wf-control">
              <label for={ids("after")}>Wait after (s)</label>
              <NumberInput id={ids("after")} value={node.wait_after} min={0} max={3600}
                step={0.5} disabled={!editable} invalid={invalid("wait_after")} onValue={(v) => set({ wait_after: v })} />
              {error("wait_after")}
            </div>
          </div>
          <small class="wf-help">Seconds before the step starts, and after it before the next one.</small>
          <div class="wf-control">
            <label for={ids("iteration")}>Iteration devices</label>
            <input id={ids("iteration")} class="code" value={node.iteration_devices} spellcheck={false}
              placeholder="e.g. results['neighbors'].names" aria-invalid={invalid("iteration_devices")}
              onInput={(e) => set({ iteration_devices: (e.target as HTMLInputElement).value })} />
            <small class="wf-help">
              Jinja expression giving device names: the step runs on those devices instead, and
              succeeds for this device when it succeeds on all of them.
            </small>
            {error("iteration_devices")}
          </div>
        </>
      )}
      <div class="wf-control">
        <label for={ids("priority")}>Priority</label>
        <NumberInput id={ids("priority")} value={node.priority} min={-100} max={100} step={1}
          disabled={!editable} invalid={invalid("priority")} onValue={(v) => set({ priority: v })} />
        <small class="wf-help">From -100 to 100: when several steps are ready, higher is sent first.</small>
        {error("priority")}
      </div>
    </fieldset>
  );
}
