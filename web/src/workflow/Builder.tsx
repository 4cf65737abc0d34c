// The workflow builder: palette | canvas | side panel. Edit a workflow's graph, save it
// (the API validates: every step exists, start reaches end, no loops), run it on devices
// and pools, and watch each step's progress live from the run's event stream.
import { useEffect, useLayoutEffect, useMemo, useRef, useState } from "preact/hooks";
import { api, ApiError, type Page } from "../api";
import type { Values } from "../forms/SchemaForm";
import { go } from "../router";
import { canEdit, useUser } from "../session";
import { Canvas, type Described, type PaletteItem, type Selection } from "./Canvas";
import { familyOf } from "./icons";
import { Inspector } from "./Inspector";
import { liveState } from "./live";
import { targetCount } from "../automation/TargetPicker";
import {
  addStep,
  culprit,
  emptyGraph,
  isTerminal,
  fromStored,
  layout,
  overlaps,
  removeEdge,
  removeStep,
  STEP,
  toStored,
  type Culprit,
} from "./model";
import { Palette } from "./Palette";
import { RunSetup, type Targets } from "./RunSetup";
import { RunView } from "./RunView";
import { useRunStream } from "./stream";
import { ConfirmDialog } from "../forms/ConfirmDialog";
import { useWorkflowGuard } from "../inventory/WorkflowPreview";
import type { Automation, Graph, Point, ServiceType, StepNode } from "./types";
import "./workflow.css";

type Mode = "edit" | "setup" | "run";

type Problem = Culprit;

/** What is saved: the run options only once edited here (the stored ones merged in). */
function body(name: string, description: string, graph: Graph, options: Values | null = null) {
  const sent: { name: string; description: string; graph: ReturnType<typeof toStored>; options?: Values } = {
    name: name.trim(),
    description,
    graph: toStored(graph),
  };
  if (options) sent.options = options;
  return sent;
}

function typing(target: EventTarget | null): boolean {
  const element = target as HTMLElement | null;
  return Boolean(element && (element.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(element.tagName)));
}

export function Builder({ id }: { id: number | null }) {
  const user = useUser();
  const editable = canEdit(user);
  const [loaded, setLoaded] = useState<Automation | null>(null);
  const [name, setName] = useState("");
  const [description, setDescription] = useState("");
  const [graph, setGraph] = useState<Graph>(emptyGraph);
  const [saved, setSaved] = useState<string | null>(null); // the body last saved, to know "dirty"
  const [services, setServices] = useState<Automation[]>([]);
  const [workflows, setWorkflows] = useState<Automation[]>([]);
  const [types, setTypes] = useState<Record<string, ServiceType>>({});
  const [selection, setSelection] = useState<Selection>(null);
  const [problem, setProblem] = useState<Problem | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [mode, setMode] = useState<Mode>("edit");
  const [runError, setRunError] = useState<string | null>(null);
  const [runId, setRunId] = useState<string | null>(null);
  const [step, setStep] = useState<string | null>(null);
  const [lastRun, setLastRun] = useState<{ id: string; status: string } | null>(null);
  const [fitKey, setFitKey] = useState(0);
  const [loadError, setLoadError] = useState<string | null>(null);
  const [details, setDetails] = useState(false); // the workflow's own panel (description)
  const [optionEdits, setOptionEdits] = useState<Values | null>(null); // run options changed here
  const [optionsInvalid, setOptionsInvalid] = useState<Record<string, string>>({});
  const [loads, setLoads] = useState(0); // bumped on every (re)load: the options form restarts
  const created = useRef<number | null>(null); // the id this page just created (no reload)
  const { run, results, setRun } = useRunStream(runId);
  const guard = useWorkflowGuard();
  const [leaving, setLeaving] = useState<string | null>(null); // a link clicked with unsaved changes
  const page = useRef<HTMLElement>(null);
  const [top, setTop] = useState(57); // the builder fills the window below the header

  useLayoutEffect(() => {
    const measure = () => page.current && setTop(page.current.getBoundingClientRect().top + window.scrollY);
    measure();
    window.addEventListener("resize", measure);
    return () => window.removeEventListener("resize", measure);
  });

  const options = optionEdits && { ...(loaded?.options ?? {}), ...optionEdits };
  const current = JSON.stringify(body(name, description, graph, options));
  const dirty = saved === null ? graph.nodes.length > 0 || name.trim() !== "" : saved !== current;

  useEffect(() => {
    api<Page<Automation>>("/api/v1/services?limit=1000").then((p) => setServices(p.items), () => undefined);
    api<Page<Automation>>("/api/v1/workflows?limit=1000").then((p) => setWorkflows(p.items), () => undefined);
    api<ServiceType[]>("/api/v1/service-types").then(
      (list) => setTypes(Object.fromEntries(list.map((t) => [t.name, t]))),
      () => undefined,
    );
  }, []);

  useEffect(() => {
    if (id !== null && id === created.current) return; // just saved here: nothing to reload
    setMode("edit");
    setRunId(null);
    setStep(null);
    setSelection(null);
    setProblem(null);
    setLastRun(null);
    setLoadError(null);
    setLoaded(null);
    setOptionEdits(null);
    setOptionsInvalid({});
    setLoads((n) => n + 1);
    if (id === null) {
      setName("");
      setDescription("");
      setGraph(emptyGraph());
      setSaved(null);
      setFitKey((k) => k + 1);
      return;
    }
    api<Automation>(`/api/v1/workflows/${id}`).then(
      (found) => {
        const storedGraph = fromStored(found.graph);
        // a stored layout whose cards cover each other (and hide their edges) is laid out
        // again; for an editor that is an unsaved change, kept by saving
        const overlapping = overlaps(storedGraph).length > 0;
        const loadedGraph = overlapping ? layout(storedGraph) : storedGraph;
        setLoaded(found);
        setName(found.name);
        setDescription(found.description);
        setGraph(loadedGraph);
        setSaved(JSON.stringify(body(found.name, found.description, storedGraph)));
        if (overlapping) setNotice("Steps overlapped: they were laid out again.");
        setFitKey((k) => k + 1);
        api<Page<{ id: string; status: string }>>(`/api/v1/runs?limit=1&name=${encodeURIComponent(found.name)}`).then(
          (page) => setLastRun(page.items[0] ?? null),
          () => undefined,
        );
      },
      (exc: Error) => setLoadError(exc.message),
    );
  }, [id]);

  useEffect(() => {
    if (run) setLastRun((last) => (!last || last.id === run.id ? { id: run.id, status: run.status } : last));
  }, [run?.id, run?.status]);

  const firstMode = useRef(true);
  useEffect(() => {
    // the palette and the side panel come and go with the mode: show the whole graph again
    if (firstMode.current) firstMode.current = false;
    else setFitKey((k) => k + 1);
  }, [mode]);

  useEffect(() => {
    if (!notice) return;
    const timer = setTimeout(() => setNotice(null), 3500);
    return () => clearTimeout(timer);
  }, [notice]);

  const byName = useMemo(() => new Map(services.map((s) => [s.name, s])), [services]);
  const workflowsByName = useMemo(() => new Map(workflows.map((w) => [w.name, w])), [workflows]);
  const describe = (node: StepNode): Described => {
    const title = node.label || node.ref;
    if (node.kind === "workflow") {
      const found = workflowsByName.get(node.ref);
      const known = Boolean(found) || !workflows.length;
      return {
        title,
        subtitle: known ? "Sub-workflow" : "Missing workflow",
        family: known ? "workflow" : "missing",
        href: found && `#/workflows/${found.id}`,
      };
    }
    const service = byName.get(node.ref);
    if (!service) {
      return { title, subtitle: services.length ? "Missing service" : "Service", family: services.length ? "missing" : "custom" };
    }
    return {
      title,
      subtitle: types[service.type]?.title || service.type,
      family: familyOf(service.type, "service"),
      href: `#/services/${service.id}`,
    };
  };

  const change = (next: Graph) => {
    setGraph(next);
    if (problem) setProblem(null);
  };

  const place = (item: PaletteItem, at: Point) => {
    change(addStep(graph, item.ref, item.kind, at)[0]);
  };

  /** Double-click in the palette: beside the rightmost step, pushing End along. */
  const append = (item: PaletteItem) => {
    const last = graph.nodes.reduce<StepNode | null>((a, n) => (!a || n.x > a.x ? n : a), null);
    const at = last ? { x: last.x + STEP.w + 90, y: last.y } : { x: graph.start.x + 220, y: graph.start.y - 13 };
    const [next] = addStep(graph, item.ref, item.kind, at);
    const end = next.end.x < at.x + STEP.w + 60 ? { ...next.end, x: at.x + STEP.w + 110 } : next.end;
    change({ ...next, end });
  };

  const deleteSelection = () => {
    if (!selection || !editable || mode === "run") return;
    if (selection.kind === "node") change(removeStep(graph, selection.id));
    else change(removeEdge(graph, selection.key));
    setSelection(null);
  };

  const save = async (): Promise<Automation | null> => {
    if (!name.trim()) {
      setProblem({ text: "Give the workflow a name.", field: "name" });
      return null;
    }
    if (!graph.nodes.length) {
      setProblem({ text: "Add at least one step: drag a service onto the canvas.", field: "graph.nodes" });
      return null;
    }
    const wrong = Object.entries(optionsInvalid)[0];
    if (wrong) {
      setProblem({ text: `Run options: ${wrong[0]}: ${wrong[1]}`, field: `options.${wrong[0]}` });
      return null;
    }
    const sent = body(name, description, graph, options);
    setBusy(true);
    setProblem(null);
    try {
      const stored = loaded
        ? await api<Automation>(`/api/v1/workflows/${loaded.id}`, { method: "PATCH", body: JSON.stringify(sent) })
        : await api<Automation>("/api/v1/workflows", { method: "POST", body: JSON.stringify(sent) });
      setLoaded(stored);
      // the options are stored now: the form's edits start again from them
      setOptionEdits(null);
      setSaved(JSON.stringify(body(sent.name, sent.description, graph)));
      if (!loaded) {
        created.current = stored.id;
        go(`workflows/${stored.id}`);
      }
      return stored;
    } catch (exc) {
      const message = exc instanceof Error ? exc.message : String(exc);
      const found = culprit(message, sent.graph);
      setProblem(found);
      if (found.node && !isTerminal(found.node)) setSelection({ kind: "node", id: found.node });
      return null;
    } finally {
      setBusy(false);
    }
  };

  const launch = async (targets: Targets, variables: Record<string, unknown>) => {
    setRunError(null);
    let target = loaded;
    if (dirty || !target) {
      target = await save();
      if (!target) {
        setRunError("Fix the workflow first: it could not be saved.");
        return;
      }
    }
    setBusy(true);
    try {
      const spec: Record<string, unknown> = targetCount(targets) ? { targets } : {};
      if (Object.keys(variables).length) spec.variables = variables;
      const name = target.name;
      const start = async () => {
        const started = await api<{ id: string; status: string }>(`/api/v1/run/${encodeURIComponent(name)}`, {
          method: "POST",
          body: JSON.stringify(spec),
        });
        setRunId(started.id);
        setLastRun(started);
        setStep(null);
        setSelection(null);
        setMode("run");
      };
      // a step that changes configuration: its dry run is shown first, the run on confirm
      if (!(await guard.intercept(target, spec, start))) await start();
    } catch (exc) {
      setRunError(exc instanceof ApiError ? exc.message : String(exc));
    } finally {
      setBusy(false);
    }
  };

  const showRun = (runIdToShow: string) => {
    setRunId(runIdToShow);
    setStep(null);
    setSelection(null);
    setMode("run");
  };

  const stop = async () => {
    if (!run) return;
    try {
      setRun(await api(`/api/v1/runs/${run.id}/stop`, { method: "POST" }));
    } catch (exc) {
      setNotice(exc instanceof Error ? exc.message : String(exc));
    }
  };

  const backToEditor = () => {
    setMode("edit");
    setRunId(null);
    setStep(null);
  };

  // The key handler is replaced on every render (it reads this render's selection) and
  // called through a ref by one listener: a key pressed right after a click acts on what the
  // click selected, even before effects have run (a listener re-subscribed in an effect
  // would still hold the previous render's selection).
  const onKeyRef = useRef<(event: KeyboardEvent) => void>();
  onKeyRef.current = (event: KeyboardEvent) => {
    if ((event.ctrlKey || event.metaKey) && event.key.toLowerCase() === "s") {
      event.preventDefault();
      if (editable && mode !== "run") save();
      return;
    }
    if (typing(event.target)) return;
    if (event.key === "Delete" || event.key === "Backspace") {
      if (selection) {
        event.preventDefault();
        deleteSelection();
      }
    } else if (event.key === "Escape") {
      setSelection(null);
      setDetails(false);
      if (mode === "run") setStep(null);
    }
  };
  useEffect(() => {
    const onKey = (event: KeyboardEvent) => onKeyRef.current?.(event);
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  }, []);

  useEffect(() => {
    if (!dirty || !editable) return;
    // unsaved changes: leaving the page (reload, or a link to another page) asks first
    const warn = (event: BeforeUnloadEvent) => event.preventDefault();
    const leave = (event: MouseEvent) => {
      const link = (event.target as HTMLElement | null)?.closest?.("a[href^='#/']");
      if (!link) return;
      event.preventDefault(); // asked in the page (ConfirmDialog below); it follows the link
      event.stopPropagation();
      setLeaving(link.getAttribute("href"));
    };
    window.addEventListener("beforeunload", warn);
    window.addEventListener("click", leave, true);
    return () => {
      window.removeEventListener("beforeunload", warn);
      window.removeEventListener("click", leave, true);
    };
  }, [dirty, editable]);

  const live = useMemo(
    () => (mode === "run" && run ? liveState(graph, run, results) : null),
    [mode, run, results, graph],
  );

  if (loadError) {
    return (
      <section class="wf-page">
        <p class="error" role="alert">{loadError}</p>
        <a href="#/workflows">Back to the workflows</a>
      </section>
    );
  }
  if (id !== null && !loaded && id !== created.current) return <section class="wf-page"><p class="wf-muted">Loading…</p></section>;

  const select = (next: Selection) => {
    if (mode === "run") {
      setStep(next?.kind === "node" && next.id !== "start" && next.id !== "end" ? next.id : null);
      return;
    }
    setSelection(next);
  };
  const editing = editable && mode !== "run";
  const panel = mode !== "edit" || selection !== null || details;
  const defaults = (loaded?.options?.targets ?? null) as Partial<Targets> | null;

  return (
    <section ref={page} class={`wf-builder mode-${mode}`} aria-label="Workflow builder"
      style={{ height: `calc(100vh - ${Math.round(top)}px)` }}>
      <div class="wf-bar">
        <a class="wf-crumb" href="#/workflows">Workflows</a>
        <span class="wf-sep" aria-hidden="true">/</span>
        <input class={`wf-name${problem?.field === "name" ? " invalid" : ""}`} aria-label="Workflow name"
          placeholder="Untitled workflow" value={name} disabled={!editing}
          onInput={(e) => {
            setName((e.target as HTMLInputElement).value);
            if (problem?.field === "name") setProblem(null);
          }} />
        {editable && mode !== "run" && (
          <span class={`wf-saved${dirty ? " dirty" : ""}`} role="status">
            {dirty ? "Unsaved changes" : loaded ? "All changes saved" : ""}
          </span>
        )}
        <span class="wf-spacer" />
        {notice && <span class="wf-toast" role="status">{notice}</span>}
        {mode !== "run" && lastRun && (
          <button type="button" class="quiet wf-last" onClick={() => showRun(lastRun.id)}>
            Last run <span class={`badge ${lastRun.status}`}>{lastRun.status}</span>
          </button>
        )}
        {mode === "edit" && graph.nodes.length > 0 && (
          <button type="button" class="quiet" title="Lay the steps out left to right, none covering another"
            onClick={() => {
              change(layout(graph));
              setFitKey((k) => k + 1);
            }}>
            Auto-layout
          </button>
        )}
        {mode === "edit" && (
          <button type="button" class={`quiet${details && !selection ? " on" : ""}`} aria-pressed={details && !selection}
            onClick={() => {
              setSelection(null);
              setDetails(!details || Boolean(selection));
            }}>
            Details
          </button>
        )}
        {mode === "run" ? (
          <>
            {run && <span class={`badge ${run.status} wf-run-badge`} aria-label="Run status">{run.status}</span>}
            <button type="button" class="quiet" onClick={backToEditor}>Back to the editor</button>
            {editable && <button type="button" class="wf-run" onClick={() => setMode("setup")}>Run again</button>}
          </>
        ) : (
          editable && (
            <>
              <button type="button" class="wf-save" disabled={busy || (!dirty && Boolean(loaded))} onClick={save}>
                {busy ? "Saving…" : "Save"}
              </button>
              <button type="button" class="wf-run" onClick={() => setMode(mode === "setup" ? "edit" : "setup")}>
                ▶ Run
              </button>
            </>
          )
        )}
      </div>
      {problem && (
        <div class="wf-problem" role="alert">
          <strong>Can't save.</strong> {problem.text}
          {problem.node && !isTerminal(problem.node) && <> (step <code>{problem.node}</code>)</>}
          <button type="button" class="link" aria-label="Dismiss" onClick={() => setProblem(null)}>✕</button>
        </div>
      )}
      <div class="wf-body">
        {editing && mode === "edit" && (
          <Palette services={services} workflows={workflows.filter((w) => w.id !== loaded?.id)}
            types={types} onAdd={append} />
        )}
        <Canvas graph={graph} onChange={editing ? change : undefined} selection={mode === "run" ? (step ? { kind: "node", id: step } : null) : selection}
          onSelect={select} describe={describe} live={live}
          flagged={problem ? { node: problem.node, edge: problem.edge } : null}
          onDrop={editing ? place : undefined} onRefused={(text) => setNotice(`Not connected: ${text}`)}
          fitKey={fitKey} />
        {panel && <aside class="wf-side" aria-label="Details">
          {mode === "edit" && (
            <button type="button" class="wf-close" aria-label="Close the panel" title="Close (Esc)"
              onClick={() => {
                setSelection(null);
                setDetails(false);
              }}>✕</button>
          )}
          {mode === "setup" && (
            <RunSetup key={`${loaded?.id ?? "new"}:${runId ?? ""}`} defaults={defaults}
              workflowId={loaded?.id ?? null} dirty={dirty} busy={busy} error={runError}
              onRun={launch} onCancel={() => setMode("edit")} />
          )}
          {mode === "run" && run && live && (
            <RunView run={run} live={live} graph={graph} step={step} canStop={editable}
              onStep={setStep} onStop={stop} describe={describe} />
          )}
          {mode === "run" && !run && <div class="wf-panel-body"><p class="wf-muted">Connecting to the run…</p></div>}
          {mode === "edit" && (
            <Inspector graph={graph} selection={selection} editable={editable} description={description}
              onDescription={setDescription} onChange={change} onSelect={setSelection} describe={describe}
              options={options ?? loaded?.options ?? {}} optionsKey={`${loaded?.id ?? "new"}:${loads}`}
              onOptions={(values, invalid) => {
                setOptionEdits(values);
                setOptionsInvalid(invalid);
                if (problem?.field.startsWith("options")) setProblem(null);
              }}
              problem={problem} />
          )}
        </aside>}
      </div>
      {guard.dialog}
      {leaving && (
        <ConfirmDialog title="Leave without saving?" confirmLabel="Leave without saving"
          onConfirm={() => {
            window.location.hash = leaving;
          }}
          onClose={() => setLeaving(null)}>
          <p>This workflow has unsaved changes. They are lost if you leave this page now.</p>
        </ConfirmDialog>
      )}
    </section>
  );
}
