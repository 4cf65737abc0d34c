// A run on the builder: its status and devices, every step's progress, and (a step
// clicked) that step's result on each device: outputs, checks, logs; a step not run for a
// device (disabled, skip condition) shows as skipped with the reason.
import { useState } from "preact/hooks";
import { RunReport } from "../results/RunReport";
import type { Described } from "./Canvas";
import { FamilyIcon } from "./icons";
import { isSkipped, type LiveState, type StepState } from "./live";
import type { Graph, ResultRead, RunRead, StepNode } from "./types";

interface Props {
  run: RunRead;
  live: LiveState;
  graph: Graph;
  step: string | null;
  canStop: boolean;
  onStep: (id: string | null) => void;
  onStop: () => void;
  describe: (node: StepNode) => Described;
}

const seconds = (r: ResultRead) =>
  Math.max(0, (new Date(r.ended_at).getTime() - new Date(r.started_at).getTime()) / 1000);

function Counts({ step }: { step: StepState }) {
  return (
    <span class="wf-counts">
      <span class="ok">✓ {step.success}</span>
      <span class="ko">✗ {step.failure}</span>
      {step.skipped > 0 && <span class="skip" title="Devices it was skipped for">↷ {step.skipped} skipped</span>}
      {step.running > 0 && <span class="run">● {step.running}</span>}
    </span>
  );
}

function Output({ result }: { result: Record<string, unknown> }) {
  const outputs = Array.isArray(result.outputs) ? (result.outputs as Record<string, unknown>[]) : null;
  const checks = [result.validation, result.checks].find(Array.isArray) as
    | { passed: boolean; detail: string }[]
    | undefined;
  const error = typeof result.error === "string" ? result.error : null;
  const rest = Object.fromEntries(
    Object.entries(result).filter(([key]) => !["outputs", "text", "validation", "checks", "error"].includes(key)),
  );
  return (
    <div class="wf-output">
      {error && <p class="wf-result-error">{error}</p>}
      {checks && (
        <ul class="wf-checks" aria-label="Checks">
          {checks.map((check, index) => (
            <li key={index} class={check.passed ? "ok" : "ko"}>
              <span aria-hidden="true">{check.passed ? "✓" : "✗"}</span> {check.detail}
            </li>
          ))}
        </ul>
      )}
      {outputs?.map((output, index) => (
        <figure key={index} class="wf-command">
          <figcaption><code>{String(output.command ?? "")}</code></figcaption>
          <pre aria-label={`Output of ${String(output.command ?? "")}`}>{String(output.stdout ?? "") || "(no output)"}</pre>
        </figure>
      ))}
      {!outputs && typeof result.text === "string" && <pre aria-label="Output">{result.text}</pre>}
      {Object.keys(rest).length > 0 && (
        <pre class="wf-json" aria-label="Result">{JSON.stringify(rest, null, 2)}</pre>
      )}
    </div>
  );
}

function DeviceResult({ result, inner }: { result: ResultRead; inner: boolean }) {
  const [open, setOpen] = useState(false);
  const skipped = isSkipped(result);
  const state = skipped ? "skipped" : result.success ? "success" : "failure";
  const reason = skipped && typeof result.result.reason === "string" ? result.result.reason : null;
  return (
    <li class={`wf-device ${skipped ? "skip" : result.success ? "ok" : "ko"}${open ? " open" : ""}`}>
      <button type="button" class="wf-device-head" aria-expanded={open} onClick={() => setOpen(!open)}>
        <span class={`badge ${state}`}>{state}</span>
        <strong>{result.device || "all targets"}</strong>
        {inner && <small class="wf-inner">{result.step.split("/").slice(1).join(" / ")}</small>}
        {skipped ? (
          <small title="The edge the device followed">then {result.success ? "success" : "failure"}</small>
        ) : (
          <small>{seconds(result).toFixed(1)} s{result.attempts > 1 ? ` · ${result.attempts} attempts` : ""}</small>
        )}
        <span class="wf-chevron" aria-hidden="true">{open ? "▾" : "▸"}</span>
      </button>
      {reason && <p class="wf-skip-reason" aria-label="Skip reason">{reason}</p>}
      {open && (
        <div class="wf-device-body">
          {skipped ? <p class="wf-muted">Not run on this device: {reason ?? "skipped"}.</p> : <Output result={result.result} />}
          {result.logs && !skipped && (
            <details>
              <summary>Logs</summary>
              <pre class="logs" aria-label="Logs">{result.logs}</pre>
            </details>
          )}
        </div>
      )}
    </li>
  );
}

function StepResults({ id, node, about, state, results, running, onBack }: {
  id: string;
  node: StepNode | undefined;
  about: Described | null;
  state: StepState | undefined;
  results: ResultRead[];
  running: string[];
  onBack: () => void;
}) {
  return (
    <div class="wf-panel-body" role="region" aria-label="Step results">
      <button type="button" class="link wf-back" onClick={onBack}>← All steps</button>
      <div class="wf-step-head">
        {about && <span class={`wf-icon fam-${about.family}`}><FamilyIcon family={about.family} /></span>}
        <h3>{about?.title ?? id}</h3>
        {state && <span class={`badge ${state.status}`}>{state.status}</span>}
      </div>
      {node && about && (
        <p class="wf-muted">{node.ref !== about.title ? `${node.ref} · ` : ""}{about.subtitle}</p>
      )}
      {state && <Counts step={state} />}
      {running.length > 0 && (
        <p class="wf-running-now"><span class="wf-spinner" aria-hidden="true" /> Running on {running.join(", ")}</p>
      )}
      {results.length === 0 && running.length === 0 && <p class="wf-muted">No device ran this step.</p>}
      <ul class="wf-devices" aria-label="Results per device">
        {results.map((result) => (
          <DeviceResult key={result.id} result={result} inner={node?.kind === "workflow"} />
        ))}
      </ul>
    </div>
  );
}

export function RunView({ run, live, graph, step, canStop, onStep, onStop, describe }: Props) {
  const counts = run.summary.counts ?? {};
  const devices = Object.entries(run.summary.devices ?? {});
  if (step) {
    const node = graph.nodes.find((n) => n.id === step);
    const results = live.results[step] ?? [];
    const reported = new Set(results.map((r) => r.device));
    const running =
      live.steps[step]?.running && run.mode !== "per_run"
        ? devices
            .filter(([name, d]) => d.outcome === "running" && d.at?.split("/")[0] === step && !reported.has(name))
            .map(([name]) => name)
        : [];
    return (
      <StepResults id={step} node={node} about={node ? describe(node) : null} state={live.steps[step]}
        results={results} running={running} onBack={() => onStep(null)} />
    );
  }
  return (
    <div class="wf-panel-body" role="region" aria-label="Run">
      <p class="wf-kicker">Run</p>
      <div class="wf-step-head">
        <h3>{run.name}</h3>
        <span class={`badge ${run.status}`} aria-label="Run status">{run.status}</span>
      </div>
      <p class="wf-muted">
        {run.targets.length} device{run.targets.length === 1 ? "" : "s"} · {run.mode.replace("_", " ")} · by {run.creator}
        {run.started_at && <> · {new Date(run.started_at).toLocaleTimeString()}</>}
      </p>
      <div class="wf-stats">
        <span class="ok"><strong>{counts.success ?? 0}</strong> succeeded</span>
        <span class="ko"><strong>{counts.failure ?? 0}</strong> failed</span>
        {live.active && <span><strong>{counts.running ?? run.targets.length - (counts.success ?? 0) - (counts.failure ?? 0)}</strong> running</span>}
      </div>
      {run.error && <p class="error">{run.error}</p>}
      <RunReport report={run.report} heading="h4" />
      <div class="wf-actions start">
        <a class="wf-button" href={`#/runs/${run.id}`}>Open the full run page</a>
        {canStop && live.active && run.status !== "stopping" && (
          <button type="button" class="danger" onClick={onStop}>Stop</button>
        )}
      </div>
      <h4>Steps</h4>
      <ul class="wf-steps" aria-label="Steps">
        {graph.nodes.map((node) => {
          const state = live.steps[node.id];
          return (
            <li key={node.id}>
              <button type="button" onClick={() => onStep(node.id)}>
                <span class={`wf-state ${state?.status ?? "pending"}`} aria-hidden="true" />
                <span class="wf-step-name">{describe(node).title}</span>
                {state && <Counts step={state} />}
              </button>
            </li>
          );
        })}
      </ul>
      <p class="wf-muted">Click a step on the canvas or here to see its result on each device.</p>
    </div>
  );
}
