// The side panel while editing: the workflow's description, run options and how to build,
// or the selected step (label, where it goes on success and on failure, the steps it is a
// prerequisite of, its controls) or connection (its kind can be changed).
import { useEffect, useState } from "preact/hooks";
import { apiSchema, fieldsOf, type FieldModel } from "../forms/schema";
import { SchemaForm, type Values } from "../forms/SchemaForm";
import { EDGE_NAMES, type Described, type Selection } from "./Canvas";
import { FamilyIcon } from "./icons";
import { END, START, connect, edgeKey, isTerminal, refusal, rekind, removeEdge, removeStep, type Culprit } from "./model";
import { StepControls } from "./StepControls";
import type { EdgeKind, Graph, OutcomeKind, StepNode } from "./types";

/** The workflow options edited here (ServiceOptions' fields that apply to a workflow; the
 * default targets are chosen in the run panel). */
const WORKFLOW_OPTIONS = ["mode", "max_runs", "report"];

interface Props {
  graph: Graph;
  selection: Selection;
  editable: boolean;
  description: string;
  onDescription: (text: string) => void;
  /** The workflow's stored options (and the edits, merged by the page). */
  options: Values;
  onOptions: (values: Values, invalid: Record<string, string>) => void;
  /** Bumped when the workflow is (re)loaded: the options form starts again from ``options``. */
  optionsKey: string;
  onChange: (graph: Graph) => void;
  onSelect: (selection: Selection) => void;
  describe: (node: StepNode) => Described;
  /** The last refused save (its field shown under the control it names). */
  problem: Culprit | null;
}

const EDGE_MEANING: Record<EdgeKind, string> = {
  success: "Devices that pass the first step go on to the second.",
  failure: "Devices that fail the first step run the second instead of stopping.",
  prerequisite:
    "After the first step has run, whatever its outcome, devices also go on to the second " +
    "(a parallel branch). A step with several prerequisites waits for all of them.",
};

function nameOf(graph: Graph, id: string, describe: Props["describe"]): string {
  if (id === START) return "Start";
  if (id === END) return "End";
  const node = graph.nodes.find((n) => n.id === id);
  return node ? describe(node).title : id;
}

function Next({ graph, id, kind, editable, onChange, describe }: {
  graph: Graph;
  id: string;
  kind: OutcomeKind;
  editable: boolean;
  onChange: Props["onChange"];
  describe: Props["describe"];
}) {
  const current = graph.edges.find((e) => e.source === id && e.kind === kind)?.target ?? "";
  const label = id === START ? "First step" : kind === "success" ? "On success, go to" : "On failure, go to";
  const choices = [...graph.nodes.map((n) => n.id).filter((n) => n !== id), END];
  return (
    <label class={`wf-next ${kind}`}>
      <span><i class={`wf-dot ${kind}`} />{label}</span>
      {editable ? (
        <select value={current} onChange={(e) => {
          const target = (e.target as HTMLSelectElement).value;
          onChange(target ? connect(graph, id, kind, target) : removeEdge(graph, `${id}:${kind}`));
        }}>
          <option value="">{kind === "failure" ? "nothing (the device fails)" : "nothing"}</option>
          {choices.map((choice) => (
            <option key={choice} value={choice}>{nameOf(graph, choice, describe)}</option>
          ))}
        </select>
      ) : (
        <strong>{current ? nameOf(graph, current, describe) : "nothing"}</strong>
      )}
    </label>
  );
}

/** The steps ``id`` is a prerequisite of (added and removed here), and those it waits for. */
function Prerequisites({ graph, id, editable, onChange, describe }: {
  graph: Graph;
  id: string;
  editable: boolean;
  onChange: Props["onChange"];
  describe: Props["describe"];
}) {
  const out = graph.edges.filter((e) => e.source === id && e.kind === "prerequisite");
  const waits = graph.edges.filter((e) => e.target === id && e.kind === "prerequisite");
  const linked = new Set(out.map((e) => e.target));
  const choices = [...graph.nodes.map((n) => n.id), END].filter((n) => n !== id && !linked.has(n));
  return (
    <div class="wf-next prerequisite" role="group" aria-label="Prerequisite of">
      <span><i class="wf-dot prerequisite" />Then also, whatever the outcome</span>
      {out.length > 0 ? (
        <ul class="wf-prereqs">
          {out.map((edge) => (
            <li key={edge.target}>
              <span>{nameOf(graph, edge.target, describe)}</span>
              {editable && (
                <button type="button" class="link" aria-label={`Remove the prerequisite edge to ${nameOf(graph, edge.target, describe)}`}
                  onClick={() => onChange(removeEdge(graph, edgeKey(edge)))}>✕</button>
              )}
            </li>
          ))}
        </ul>
      ) : (
        !editable && <strong>nothing</strong>
      )}
      {editable && choices.length > 0 && (
        <select value="" aria-label="Add a prerequisite edge to"
          onChange={(e) => {
            const target = (e.target as HTMLSelectElement).value;
            if (target) onChange(connect(graph, id, "prerequisite", target));
          }}>
          <option value="">{out.length ? "add another step…" : "nothing (add a step…)"}</option>
          {choices.map((choice) => (
            <option key={choice} value={choice}>{nameOf(graph, choice, describe)}</option>
          ))}
        </select>
      )}
      {waits.length > 0 && (
        <small class="wf-help">
          Waits for {waits.map((e) => nameOf(graph, e.source, describe)).join(", ")} before it runs.
        </small>
      )}
    </div>
  );
}

/** ServiceOptions' workflow fields as a schema-driven form (max_runs appears from the schema). */
function WorkflowOptions({ options, onOptions, optionsKey, editable }: {
  options: Values;
  onOptions: Props["onOptions"];
  optionsKey: string;
  editable: boolean;
}) {
  const [fields, setFields] = useState<FieldModel[] | null>(null);
  useEffect(() => {
    apiSchema("ServiceOptions").then(
      ([schema, defs]) => setFields(fieldsOf(schema, defs).filter((f) => WORKFLOW_OPTIONS.includes(f.key))),
      () => setFields([]),
    );
  }, []);
  if (!fields?.length) return null;
  return (
    <div class="wf-options-form" role="group" aria-label="Run options">
      <h4>Run options</h4>
      <SchemaForm key={optionsKey} fields={fields} initial={options} idPrefix="wfopt" disabled={!editable}
        onChange={onOptions} />
    </div>
  );
}

export function Inspector(props: Props) {
  const { graph, selection, editable, onChange, onSelect, describe } = props;
  if (selection?.kind === "edge") {
    const edge = graph.edges.find((e) => edgeKey(e) === selection.key);
    if (edge) {
      return (
        <div class="wf-panel-body" role="region" aria-label="Connection">
          <p class="wf-kicker">Connection</p>
          <h3 class="wf-edge-title">
            <span>{nameOf(graph, edge.source, describe)}</span>
            <i class={`wf-arrow-text ${edge.kind}`}>
              {edge.kind === "prerequisite" ? "then also →" : edge.kind === "success" ? "on success →" : "on failure →"}
            </i>
            <span>{nameOf(graph, edge.target, describe)}</span>
          </h3>
          <p class="wf-muted">{EDGE_MEANING[edge.kind]}</p>
          {editable && edge.source !== START && (
            <label>
              Kind
              <select value={edge.kind} aria-label="Connection kind"
                onChange={(e) => {
                  const kind = (e.target as HTMLSelectElement).value as EdgeKind;
                  if (refusal(edge.source, kind, edge.target)) return;
                  const [next, key] = rekind(graph, selection.key, kind);
                  onChange(next);
                  onSelect({ kind: "edge", key });
                }}>
                {(["success", "failure", "prerequisite"] as const).map((kind) => (
                  <option key={kind} value={kind}>{EDGE_NAMES[kind]}</option>
                ))}
              </select>
              <small class="wf-help">
                A step has one success and one failure edge (another one replaces it), and any number of prerequisite edges.
              </small>
            </label>
          )}
          {editable && (
            <button class="danger" onClick={() => { onChange(removeEdge(graph, selection.key)); onSelect(null); }}>
              Delete connection
            </button>
          )}
        </div>
      );
    }
  }
  if (selection?.kind === "node") {
    const id = selection.id;
    const node = graph.nodes.find((n) => n.id === id);
    if (node || isTerminal(id)) {
      const about = node ? describe(node) : null;
      return (
        <div class="wf-panel-body" role="region" aria-label="Step">
          <p class="wf-kicker">{node ? (node.kind === "workflow" ? "Sub-workflow step" : "Service step") : "Flow"}</p>
          <div class="wf-step-head">
            {about && <span class={`wf-icon fam-${about.family}`}><FamilyIcon family={about.family} /></span>}
            <h3>{node ? about!.title : id === START ? "Start" : "End"}</h3>
          </div>
          {node && (
            <>
              <dl class="wf-facts">
                <dt>Runs</dt><dd>{about!.href ? <a href={about!.href}>{node.ref}</a> : node.ref}</dd>
                <dt>Type</dt><dd>{about!.subtitle}</dd>
                <dt>Step id</dt><dd><code>{node.id}</code></dd>
              </dl>
              <label>
                Label
                <input value={node.label} placeholder={node.ref} disabled={!editable} aria-label="Step label"
                  onInput={(e) => {
                    const label = (e.target as HTMLInputElement).value;
                    onChange({ ...graph, nodes: graph.nodes.map((n) => (n.id === id ? { ...n, label } : n)) });
                  }} />
              </label>
            </>
          )}
          {node?.disabled && <p class="wf-disabled-note" role="note">Disabled: devices pass through this step as success.</p>}
          {id === END && <p class="wf-muted">A device that reaches End succeeds. One that stops on a step with no edge for its outcome fails.</p>}
          {id !== END && (
            <div class="wf-nexts">
              <Next graph={graph} id={id} kind="success" editable={editable} onChange={onChange} describe={describe} />
              {id !== START && (
                <Next graph={graph} id={id} kind="failure" editable={editable} onChange={onChange} describe={describe} />
              )}
              {id !== START && (
                <Prerequisites graph={graph} id={id} editable={editable} onChange={onChange} describe={describe} />
              )}
            </div>
          )}
          {node && (
            <StepControls graph={graph} node={node} editable={editable} onChange={onChange} problem={props.problem} />
          )}
          {node && editable && (
            <button class="danger" onClick={() => { onChange(removeStep(graph, id)); onSelect(null); }}>
              Delete step
            </button>
          )}
        </div>
      );
    }
  }
  return (
    <div class="wf-panel-body" role="region" aria-label="Workflow details">
      <p class="wf-kicker">Workflow</p>
      <label>
        Description
        <textarea rows={3} value={props.description} disabled={!editable} aria-label="Description"
          placeholder="What this workflow does"
          onInput={(e) => props.onDescription((e.target as HTMLTextAreaElement).value)} />
      </label>
      <div class="wf-stats">
        <span><strong>{graph.nodes.length}</strong> steps</span>
        <span><strong>{graph.edges.filter((e) => e.kind === "success").length}</strong> success edges</span>
        <span><strong>{graph.edges.filter((e) => e.kind === "failure").length}</strong> failure edges</span>
        <span><strong>{graph.edges.filter((e) => e.kind === "prerequisite").length}</strong> prerequisite edges</span>
      </div>
      <WorkflowOptions options={props.options} onOptions={props.onOptions} optionsKey={props.optionsKey} editable={editable} />
      {editable && (
        <ol class="wf-howto">
          <li>Drag services from the palette onto the canvas.</li>
          <li>Drag a step's <b class="ok">✓</b> port onto the step that follows when it succeeds.</li>
          <li>Drag its <b class="ko">✗</b> port onto the step that runs instead when it fails.</li>
          <li>Drag its <b class="pre">⇉</b> port (below it) onto a step that runs after it whatever its outcome: a parallel branch.</li>
          <li>Select a step to disable it, or set a skip condition, waits, priority or iteration devices.</li>
          <li>Connect Start to the first step and the last steps to End, then save.</li>
        </ol>
      )}
      <p class="wf-keys">
        <kbd>Del</kbd> deletes the selection · <kbd>Ctrl</kbd>+wheel zooms · drag the background to pan
        {editable && <> · <kbd>Ctrl</kbd>+<kbd>S</kbd> saves</>}
      </p>
    </div>
  );
}
