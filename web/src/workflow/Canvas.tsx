// The builder's canvas: steps as cards (HTML), edges as SVG curves under them, in one world
// that pans (drag the background, wheel) and zooms (ctrl + wheel, the buttons). Services
// are dropped on it from the palette (HTML5 drag and drop); a step's ✓ / ✗ port (or its
// prerequisite port, at the bottom) is dragged onto another step to connect it (pointer
// events); steps move by dragging them. A step's controls show as badges on its card.
import { useEffect, useRef, useState } from "preact/hooks";
import type { LiveState, StepState } from "./live";
import {
  END,
  START,
  bounds,
  changedControls,
  connect,
  curve,
  edgeKey,
  inPort,
  isTerminal,
  midpoint,
  moveTo,
  outPort,
  refusal,
  STEP,
} from "./model";
import { FamilyIcon, PlayIcon, StopIcon, type Family } from "./icons";
import type { EdgeKind, Graph, Point, StepKind, StepNode } from "./types";

export const DRAG_TYPE = "application/x-netweave-step";

export type Selection = { kind: "node"; id: string } | { kind: "edge"; key: string } | null;

export interface PaletteItem {
  kind: StepKind;
  ref: string;
}

export interface Described {
  title: string;
  subtitle: string;
  family: Family;
  /** The service's or sub-workflow's own page. */
  href?: string;
}

interface View {
  x: number;
  y: number;
  k: number;
}

interface Link {
  source: string;
  kind: EdgeKind;
  to: Point;
  over: string | null;
}

interface Props {
  graph: Graph;
  /** Absent: read-only (a viewer, or a run shown on the graph). */
  onChange?: (graph: Graph) => void;
  selection: Selection;
  onSelect: (selection: Selection) => void;
  describe: (node: StepNode) => Described;
  live: LiveState | null;
  flagged: { node?: string; edge?: string } | null;
  onDrop?: (item: PaletteItem, at: Point) => void;
  onRefused?: (message: string) => void;
  /** Bumped by the page to fit the graph in view (after loading). */
  fitKey: number;
}

export const EDGE_NAMES: Record<EdgeKind, string> = {
  success: "Success",
  failure: "Failure",
  prerequisite: "Prerequisite",
};

const EDGE_HELP: Record<EdgeKind, string> = {
  success: "On success: the step a device goes to when this one succeeds",
  failure: "On failure: the step a device runs instead when this one fails",
  prerequisite: "Prerequisite: followed after the step ran, whatever its outcome (parallel branches); a step waits for all its prerequisites",
};

const MIN_ZOOM = 0.3;
const MAX_ZOOM = 2;

function counts(step: StepState | undefined) {
  if (!step) return null;
  const skipped = step.skipped > 0 ? `, ${step.skipped} skipped` : "";
  return (
    <span class="wf-counts" aria-label={`${step.success} succeeded, ${step.failure} failed, ${step.running} running${skipped}`}>
      <span class="ok" title="Devices that left it on success (skipped ones included)">✓ {step.success}</span>
      <span class="ko" title="Devices that left it on failure (skipped ones included)">✗ {step.failure}</span>
      {step.skipped > 0 && <span class="skip" title="Devices it was skipped for (disabled or skip condition)">↷ {step.skipped}</span>}
      {step.running > 0 && <span class="run" title="Devices running it">● {step.running}</span>}
    </span>
  );
}

const seconds = (value: number) => `${Number(value.toFixed(2))} s`;

/** Small marks on a step's card for the controls it has, each with a tooltip. */
export function badges(node: StepNode): { kind: string; text: string; title: string }[] {
  const set = changedControls(node);
  const found: { kind: string; text: string; title: string }[] = [];
  if (set.disabled) {
    found.push({ kind: "disabled", text: "off", title: "Disabled: kept in the graph, not run; devices pass through as success" });
  }
  if (set.skip_if) {
    found.push({
      kind: "skip",
      text: "skip if",
      title: `Skipped for a device when ${node.skip_if} (it then follows the ${node.skip_outcome} edge)`,
    });
  }
  if (set.wait_before !== undefined || set.wait_after !== undefined) {
    const parts = [
      node.wait_before ? `${seconds(node.wait_before)} before` : "",
      node.wait_after ? `${seconds(node.wait_after)} after` : "",
    ].filter(Boolean);
    found.push({ kind: "wait", text: `wait ${seconds(node.wait_before + node.wait_after)}`, title: `Waits ${parts.join(", ")}` });
  }
  if (set.iteration_devices) {
    found.push({ kind: "iterate", text: "iterate", title: `Runs on the devices of ${node.iteration_devices}` });
  }
  if (set.priority !== undefined) {
    found.push({
      kind: "priority",
      text: `${node.priority > 0 ? "↑" : "↓"}${Math.abs(node.priority)}`,
      title: `Priority ${node.priority}: sent ${node.priority > 0 ? "before" : "after"} other ready steps`,
    });
  }
  return found;
}

export function Canvas(props: Props) {
  const { graph, onChange, selection, onSelect, describe, live, flagged } = props;
  const root = useRef<HTMLDivElement>(null);
  const [view, setView] = useState<View>({ x: 40, y: 40, k: 1 });
  const [link, setLink] = useState<Link | null>(null);
  const [dropping, setDropping] = useState(false);
  const latest = useRef({ graph, view, onChange });
  latest.current = { graph, view, onChange };
  const editable = Boolean(onChange) && !live;

  const toWorld = (clientX: number, clientY: number): Point => {
    const rect = root.current!.getBoundingClientRect();
    const { x, y, k } = latest.current.view;
    return { x: (clientX - rect.left - x) / k, y: (clientY - rect.top - y) / k };
  };

  const fit = () => {
    const element = root.current;
    if (!element) return;
    const box = bounds(latest.current.graph);
    const width = element.clientWidth;
    const height = element.clientHeight;
    const k = Math.max(MIN_ZOOM, Math.min(1, (width - 120) / box.w, (height - 120) / box.h));
    setView({ k, x: (width - box.w * k) / 2 - box.x * k, y: (height - box.h * k) / 2 - box.y * k });
  };
  useEffect(fit, [props.fitKey]);

  const zoomAt = (factor: number, clientX?: number, clientY?: number) => {
    const element = root.current!;
    const rect = element.getBoundingClientRect();
    const cx = clientX === undefined ? rect.width / 2 : clientX - rect.left;
    const cy = clientY === undefined ? rect.height / 2 : clientY - rect.top;
    setView((v) => {
      const k = Math.min(MAX_ZOOM, Math.max(MIN_ZOOM, v.k * factor));
      return { k, x: cx - ((cx - v.x) * k) / v.k, y: cy - ((cy - v.y) * k) / v.k };
    });
  };

  useEffect(() => {
    // not a passive listener: the page must not scroll while the canvas pans or zooms
    const element = root.current!;
    const onWheel = (event: WheelEvent) => {
      event.preventDefault();
      if (event.ctrlKey || event.metaKey) zoomAt(Math.exp(-event.deltaY * 0.0025), event.clientX, event.clientY);
      else setView((v) => ({ ...v, x: v.x - event.deltaX, y: v.y - event.deltaY }));
    };
    element.addEventListener("wheel", onWheel, { passive: false });
    return () => element.removeEventListener("wheel", onWheel);
  }, []);

  /** Follow the pointer until it is released (listeners on window: it may leave the canvas). */
  const track = (move: (e: PointerEvent) => void, up: (e: PointerEvent) => void) => {
    const onMove = (e: PointerEvent) => move(e);
    const onUp = (e: PointerEvent) => {
      window.removeEventListener("pointermove", onMove);
      window.removeEventListener("pointerup", onUp);
      window.removeEventListener("pointercancel", onUp);
      up(e);
    };
    window.addEventListener("pointermove", onMove);
    window.addEventListener("pointerup", onUp);
    window.addEventListener("pointercancel", onUp);
  };

  const startPan = (event: PointerEvent) => {
    if (event.button !== 0) return;
    root.current?.focus({ preventScroll: true });
    const origin = { x: event.clientX, y: event.clientY, view: latest.current.view };
    let moved = false;
    track(
      (e) => {
        const dx = e.clientX - origin.x;
        const dy = e.clientY - origin.y;
        if (Math.abs(dx) + Math.abs(dy) > 3) moved = true;
        setView({ ...origin.view, x: origin.view.x + dx, y: origin.view.y + dy });
      },
      () => !moved && onSelect(null),
    );
  };

  const nodeUnder = (e: PointerEvent): string | null => {
    const found = document.elementFromPoint(e.clientX, e.clientY)?.closest<HTMLElement>("[data-node-id]");
    return found?.dataset.nodeId ?? null;
  };

  const startLink = (event: PointerEvent, source: string, kind: EdgeKind) => {
    event.stopPropagation();
    event.preventDefault();
    setLink({ source, kind, to: toWorld(event.clientX, event.clientY), over: null });
    track(
      (e) => setLink({ source, kind, to: toWorld(e.clientX, e.clientY), over: nodeUnder(e) }),
      (e) => {
        setLink(null);
        const target = nodeUnder(e);
        const { graph: current, onChange: change } = latest.current;
        if (!target || target === source || !change) return;
        const problem = refusal(source, kind, target);
        if (problem) {
          props.onRefused?.(problem);
          return;
        }
        change(connect(current, source, kind, target));
      },
    );
  };

  const startNode = (event: PointerEvent, id: string) => {
    if (event.button !== 0) return;
    event.stopPropagation();
    root.current?.focus({ preventScroll: true });
    const port = (event.target as HTMLElement).closest<HTMLElement>("[data-port]")?.dataset.port;
    if (editable && (port === "success" || port === "failure" || port === "prerequisite")) {
      startLink(event, id, port);
      return;
    }
    const origin = { x: event.clientX, y: event.clientY };
    const at = id === START ? graph.start : id === END ? graph.end : graph.nodes.find((n) => n.id === id)!;
    let moved = false;
    track(
      (e) => {
        const { view: v, graph: current, onChange: change } = latest.current;
        const dx = (e.clientX - origin.x) / v.k;
        const dy = (e.clientY - origin.y) / v.k;
        if (!moved && Math.abs(dx) + Math.abs(dy) < 3) return;
        moved = true;
        if (editable && change) change(moveTo(current, id, { x: at.x + dx, y: at.y + dy }));
      },
      () => {
        if (!moved || !editable) onSelect({ kind: "node", id });
      },
    );
  };

  const onDragOver = (event: DragEvent) => {
    if (!props.onDrop || live || !event.dataTransfer?.types.includes(DRAG_TYPE)) return;
    event.preventDefault();
    event.dataTransfer.dropEffect = "copy";
    setDropping(true);
  };
  const onDrop = (event: DragEvent) => {
    setDropping(false);
    const raw = event.dataTransfer?.getData(DRAG_TYPE);
    if (!raw || !props.onDrop || live) return;
    event.preventDefault();
    const at = toWorld(event.clientX, event.clientY);
    const { w, h } = STEP;
    props.onDrop(JSON.parse(raw) as PaletteItem, { x: at.x - w / 2, y: at.y - h / 2 });
  };

  const selectedEdge = selection?.kind === "edge" ? graph.edges.find((e) => edgeKey(e) === selection.key) : undefined;
  const linkTarget = link?.over && link.over !== link.source ? link.over : null;
  const linkProblem = link && linkTarget ? refusal(link.source, link.kind, linkTarget) : null;

  const nodeClass = (id: string, extra: string) => {
    const classes = ["wf-node", extra];
    if (selection?.kind === "node" && selection.id === id) classes.push("selected");
    if (flagged?.node === id) classes.push("flagged");
    if (linkTarget === id) classes.push(linkProblem ? "link-refused" : "link-target");
    if (link && link.source === id) classes.push("linking");
    return classes.join(" ");
  };

  const ports = (id: string) => (
    <>
      {id !== START && <span class="wf-port in" data-port="in" aria-hidden="true" />}
      {id !== END && (
        <span class="wf-port out success" data-port="success" role="button"
          aria-label={`Connect ${id} on success`} title="On success: drag onto the next step">✓</span>
      )}
      {!isTerminal(id) && (
        <span class="wf-port out failure" data-port="failure" role="button"
          aria-label={`Connect ${id} on failure`} title="On failure: drag onto the step to run instead">✗</span>
      )}
      {!isTerminal(id) && (
        <span class="wf-port out prerequisite" data-port="prerequisite" role="button"
          aria-label={`Connect ${id} as prerequisite`}
          title="Prerequisite: drag onto a step that runs after this one whatever its outcome (a step waits for all its prerequisites)">⇉</span>
      )}
    </>
  );

  const terminal = (id: string, at: Point) => {
    const label = id === START ? "Start" : "End";
    const note = !live ? null : id === START ? `${live.targets} device${live.targets === 1 ? "" : "s"}` : `${live.reached} reached`;
    return (
      <div key={id} class={nodeClass(id, `wf-terminal wf-${id}`)} data-node-id={id}
        style={{ left: `${at.x}px`, top: `${at.y}px` }} aria-label={label}
        onPointerDown={(e) => startNode(e, id)}>
        <span class="wf-terminal-icon">{id === START ? <PlayIcon /> : <StopIcon />}</span>
        <span class="wf-terminal-text">
          <strong>{label}</strong>
          {note && <small>{note}</small>}
        </span>
        {ports(id)}
      </div>
    );
  };

  return (
    <div ref={root} tabIndex={0} role="region" aria-label="Workflow canvas"
      class={`wf-canvas${dropping ? " dropping" : ""}${live ? " live" : ""}${link ? " linking" : ""}`}
      style={{
        backgroundSize: `${22 * view.k}px ${22 * view.k}px`,
        backgroundPosition: `${view.x}px ${view.y}px`,
      }}
      onPointerDown={startPan}
      onDragOver={onDragOver}
      onDragLeave={() => setDropping(false)}
      onDrop={onDrop}>
      <div class="wf-world" style={{ transform: `translate(${view.x}px, ${view.y}px) scale(${view.k})` }}>
        <svg class="wf-edges" width="1" height="1" aria-hidden="false">
          <defs>
            {(["success", "failure", "prerequisite", "idle"] as const).map((kind) => (
              <marker key={kind} id={`wf-arrow-${kind}`} viewBox="0 0 10 10" refX="9" refY="5"
                markerUnits="userSpaceOnUse" markerWidth="11" markerHeight="11" orient="auto-start-reverse">
                <path d="M 0 0 L 10 5 L 0 10 z" class={`wf-arrow ${kind}`} />
              </marker>
            ))}
          </defs>
          {graph.edges.map((edge) => {
            const key = edgeKey(edge);
            const d = curve(outPort(graph, edge.source, edge.kind), inPort(graph, edge.target), edge.kind === "prerequisite");
            const selected = selectedEdge === edge;
            const taken = live?.taken.has(key);
            const classes = ["wf-edge", edge.kind];
            if (selected) classes.push("selected");
            if (live) classes.push(taken ? "taken" : "idle");
            if (live?.active && taken) classes.push("flowing");
            if (flagged?.edge === key) classes.push("flagged");
            const marker = live && !taken ? "idle" : edge.kind;
            return (
              <g key={key} data-edge={key} class={classes.join(" ")}>
                <path class="wf-edge-line" d={d} marker-end={`url(#wf-arrow-${marker})`} />
                <path class="wf-edge-hit" d={d} role="button"
                  aria-label={`${EDGE_NAMES[edge.kind]} edge from ${edge.source} to ${edge.target}`}
                  onPointerDown={(e) => {
                    e.stopPropagation();
                    root.current?.focus({ preventScroll: true });
                    if (!live) onSelect({ kind: "edge", key });
                  }} />
              </g>
            );
          })}
          {link && (
            <path class={`wf-edge-draft ${link.kind}${linkProblem ? " refused" : ""}`}
              d={curve(
                outPort(graph, link.source, link.kind),
                linkTarget && !linkProblem ? inPort(graph, linkTarget) : link.to,
                link.kind === "prerequisite",
              )} />
          )}
        </svg>
        {terminal(START, graph.start)}
        {graph.nodes.map((node) => {
          const about = describe(node);
          const step = live?.steps[node.id];
          // skipped for the devices that reached it (not merely never reached)
          const status = step ? ` status-${step.status}${step.skipped ? " bypassed" : ""}` : "";
          const marks = badges(node);
          return (
            <div key={node.id} class={nodeClass(node.id, `wf-step fam-${about.family}${status}${node.disabled ? " disabled" : ""}`)}
              data-node-id={node.id} data-status={step?.status}
              style={{ left: `${node.x}px`, top: `${node.y}px` }}
              role="group" aria-label={`Step ${about.title}${node.disabled ? " (disabled)" : ""}`}
              onPointerDown={(e) => startNode(e, node.id)}>
              {marks.length > 0 && (
                <span class="wf-badges" role="list" aria-label="Step controls">
                  {marks.map((mark) => (
                    <span key={mark.kind} role="listitem" class={`wf-badge ${mark.kind}`} title={mark.title} aria-label={mark.title}>
                      {mark.text}
                    </span>
                  ))}
                </span>
              )}
              <span class="wf-icon"><FamilyIcon family={about.family} /></span>
              <span class="wf-text">
                <strong title={about.title}>{about.title}</strong>
                {step ? counts(step) : <small title={about.subtitle}>{about.subtitle}</small>}
              </span>
              {step && (
                <span class={`wf-state ${step.status}`} title={step.status}>
                  <span class="wf-sr">{step.status}</span>
                </span>
              )}
              {ports(node.id)}
            </div>
          );
        })}
        {terminal(END, graph.end)}
        {selectedEdge && editable && (() => {
          const mid = midpoint(
            outPort(graph, selectedEdge.source, selectedEdge.kind),
            inPort(graph, selectedEdge.target),
            selectedEdge.kind === "prerequisite",
          );
          return (
            <button class="wf-edge-delete" style={{ left: `${mid.x}px`, top: `${mid.y}px` }}
              aria-label="Delete connection" title="Delete connection (Del)"
              onPointerDown={(e) => e.stopPropagation()}
              onClick={() => {
                onChange!({ ...graph, edges: graph.edges.filter((e) => e !== selectedEdge) });
                onSelect(null);
              }}>✕</button>
          );
        })()}
      </div>
      {editable && graph.nodes.length === 0 && (
        <div class="wf-empty" aria-live="polite">
          <strong>Drop services here</strong>
          <span>Drag a service from the palette onto the canvas, then drag its <b class="ok">✓</b> port
            onto the next step (and its <b class="ko">✗</b> port onto the step to run when it fails).</span>
        </div>
      )}
      {graph.nodes.length > 0 && (
        <ul class="wf-legend" aria-label="Edge kinds" onPointerDown={(e) => e.stopPropagation()}>
          {(["success", "failure", "prerequisite"] as const).map((kind) => (
            <li key={kind} title={EDGE_HELP[kind]}>
              <svg width="30" height="10" aria-hidden="true"><line class={`wf-legend-line ${kind}`} x1="1" y1="5" x2="29" y2="5" /></svg>
              {EDGE_NAMES[kind]}
            </li>
          ))}
        </ul>
      )}
      <div class="wf-zoom" onPointerDown={(e) => e.stopPropagation()}>
        <button type="button" aria-label="Zoom in" title="Zoom in" onClick={() => zoomAt(1.2)}>+</button>
        <span aria-label="Zoom level">{Math.round(view.k * 100)}%</span>
        <button type="button" aria-label="Zoom out" title="Zoom out" onClick={() => zoomAt(1 / 1.2)}>−</button>
        <button type="button" aria-label="Fit to screen" title="Fit to screen" onClick={fit}>⤢</button>
      </div>
    </div>
  );
}
