// The side panel while editing: the workflow's description and how to build, or the
// selected step (label, where it goes on success and on failure) or connection.
import type { Described, Selection } from "./Canvas";
import { FamilyIcon } from "./icons";
import { END, START, connect, edgeKey, isTerminal, removeEdge, removeStep } from "./model";
import type { EdgeKind, Graph, StepNode } from "./types";

interface Props {
  graph: Graph;
  selection: Selection;
  editable: boolean;
  description: string;
  onDescription: (text: string) => void;
  onChange: (graph: Graph) => void;
  onSelect: (selection: Selection) => void;
  describe: (node: StepNode) => Described;
}

function nameOf(graph: Graph, id: string, describe: Props["describe"]): string {
  if (id === START) return "Start";
  if (id === END) return "End";
  const node = graph.nodes.find((n) => n.id === id);
  return node ? describe(node).title : id;
}

function Next({ graph, id, kind, editable, onChange, describe }: {
  graph: Graph;
  id: string;
  kind: EdgeKind;
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
            <i class={`wf-arrow-text ${edge.kind}`}>{edge.kind === "success" ? "on success →" : "on failure →"}</i>
            <span>{nameOf(graph, edge.target, describe)}</span>
          </h3>
          <p class="wf-muted">
            {edge.kind === "success"
              ? "Devices that pass the first step go on to the second."
              : "Devices that fail the first step run the second instead of stopping."}
          </p>
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
          {id === END && <p class="wf-muted">A device that reaches End succeeds. One that stops on a step with no edge for its outcome fails.</p>}
          {id !== END && (
            <div class="wf-nexts">
              <Next graph={graph} id={id} kind="success" editable={editable} onChange={onChange} describe={describe} />
              {id !== START && (
                <Next graph={graph} id={id} kind="failure" editable={editable} onChange={onChange} describe={describe} />
              )}
            </div>
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
      </div>
      {editable && (
        <ol class="wf-howto">
          <li>Drag services from the palette onto the canvas.</li>
          <li>Drag a step's <b class="ok">✓</b> port onto the step that follows when it succeeds.</li>
          <li>Drag its <b class="ko">✗</b> port onto the step that runs instead when it fails.</li>
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
