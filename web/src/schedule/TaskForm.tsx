// Create or edit a task in a dialog: what it runs, on which targets, and when — once, every
// interval or on cron — with the next firings previewed by the API as you type.
import { AutomationOptions } from "./AutomationOptions";
import { useEffect, useMemo, useState } from "preact/hooks";
import { api, ApiError } from "../api";
import { dateTime, fromLocalInput, localZone, relative, toLocalInput } from "./dates";
import { fieldErrors, message, type TaskRead, useNames } from "./model";

type Kind = TaskRead["kind"];
const UNITS: [string, number][] = [["minutes", 60], ["hours", 3600], ["days", 86400], ["seconds", 1]];
const PRESETS: [string, string][] = [
  ["Every hour", "0 * * * *"],
  ["Daily 02:00", "0 2 * * *"],
  ["Weekdays 08:00", "0 8 * * 1-5"],
  ["Sundays 03:00", "0 3 * * 0"],
  ["Monthly, 1st", "0 4 1 * *"],
];
const KNOWN = [
  "name", "description", "automation", "devices", "pools", "kind", "start_at", "end_at",
  "interval_seconds", "cron", "timezone", "misfire", "misfire_grace", "variables",
];

interface State {
  name: string;
  description: string;
  automation: string;
  devices: string;
  pools: string;
  kind: Kind;
  when: string; // once: datetime-local
  every: string;
  unit: number;
  first: string; // interval: optional first firing
  cron: string;
  timezone: string;
  end: string;
  misfire: TaskRead["misfire"];
  grace: string;
  variables: string;
  paused: boolean;
}

function nextHour(): Date {
  const now = new Date();
  return new Date(now.getFullYear(), now.getMonth(), now.getDate(), now.getHours() + 1);
}

function initial(task: TaskRead | null, start: Date | null): State {
  const seconds = task?.interval_seconds ?? 3600;
  const largest = [...UNITS].sort((a, b) => b[1] - a[1]); // the largest unit that divides it
  const [, unit] = largest.find(([, size]) => seconds % size === 0) ?? UNITS[3];
  return {
    name: task?.name ?? "",
    description: task?.description ?? "",
    automation: task?.automation ?? "",
    devices: (task?.targets?.devices ?? []).join(", "),
    pools: (task?.targets?.pools ?? []).join(", "),
    kind: task?.kind ?? "once",
    when: task?.kind === "once" ? toLocalInput(task.start_at) : toLocalInput(start ?? nextHour()),
    every: String(seconds / unit),
    unit,
    first: task?.kind === "interval" ? toLocalInput(task.start_at) : "",
    cron: task?.cron ?? "0 2 * * *",
    timezone: task?.timezone ?? localZone(),
    end: toLocalInput(task?.end_at ?? null),
    misfire: task?.misfire ?? "run_once",
    grace: String(task?.misfire_grace ?? 300),
    variables: task && Object.keys(task.variables).length ? JSON.stringify(task.variables, null, 2) : "",
    paused: false,
  };
}

/** The timing part of the request body, as the API's schema has it. */
function timing(state: State): Record<string, unknown> {
  const body: Record<string, unknown> = {
    kind: state.kind,
    misfire: state.misfire,
    misfire_grace: Number(state.grace || 0),
  };
  if (state.kind === "once") body.start_at = fromLocalInput(state.when);
  if (state.kind === "interval") {
    body.interval_seconds = Math.round(Number(state.every || 0) * state.unit);
    const first = fromLocalInput(state.first);
    if (first) body.start_at = first;
  }
  if (state.kind === "cron") {
    body.cron = state.cron.trim();
    body.timezone = state.timezone;
  }
  const end = fromLocalInput(state.end);
  if (end && state.kind !== "once") body.end_at = end;
  return body;
}

const names = (text: string) => text.split(/[\s,]+/).filter(Boolean);

function zones(): string[] {
  const all = (Intl as unknown as { supportedValuesOf?: (key: string) => string[] }).supportedValuesOf?.("timeZone") ?? [];
  return Array.from(new Set(["UTC", localZone(), ...all]));
}

interface Preview {
  next: string[];
  summary: string;
}

function usePreview(body: Record<string, unknown>, ready: boolean) {
  const [preview, setPreview] = useState<Preview | null>(null);
  const [errors, setErrors] = useState<Record<string, string>>({});
  const key = JSON.stringify(body);
  useEffect(() => {
    if (!ready) {
      setPreview(null);
      setErrors({});
      return;
    }
    let stale = false;
    const timer = setTimeout(() => {
      api<Preview>("/api/v1/tasks/preview", { method: "POST", body: JSON.stringify({ ...body, count: 5 }) }).then(
        (found) => {
          if (stale) return;
          setPreview(found);
          setErrors({});
        },
        (exc) => {
          if (stale) return;
          setPreview(null);
          setErrors(exc instanceof ApiError ? fieldErrors(exc, KNOWN) : {});
        },
      );
    }, 300);
    return () => {
      stale = true;
      clearTimeout(timer);
    };
  }, [key, ready]);
  return { preview, errors };
}

interface Props {
  task: TaskRead | null; // null: a new task
  start?: Date | null; // a new task's prefilled date (from the calendar)
  onSaved: (task: TaskRead) => void;
  onClose: () => void;
}

export function TaskForm({ task, start = null, onSaved, onClose }: Props) {
  const first = useMemo(() => initial(task, start), [task, start]);
  const [state, setState] = useState<State>(first);
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [failure, setFailure] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const devices = useNames("/api/v1/devices?limit=200&sort=name");
  const body = timing(state);
  const ready = state.kind !== "once" || Boolean(body.start_at);
  const { preview, errors: previewErrors } = usePreview(body, ready);
  const shown = { ...previewErrors, ...errors };
  const title = task ? `Edit task ${task.name}` : "New task";
  const set = (patch: Partial<State>) => setState({ ...state, ...patch });
  const text = (key: keyof State) => (e: Event) => set({ [key]: (e.target as HTMLInputElement).value });

  useEffect(() => {
    const onKey = (e: KeyboardEvent) => e.key === "Escape" && onClose();
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  }, []);

  const submit = async (event: Event) => {
    event.preventDefault();
    setErrors({});
    setFailure(null);
    let variables: Record<string, unknown> = {};
    try {
      variables = state.variables.trim() ? JSON.parse(state.variables) : {};
    } catch {
      setErrors({ variables: "not valid JSON" });
      return;
    }
    if (state.kind === "once" && !body.start_at) {
      setErrors({ start_at: "pick the date and time" });
      return;
    }
    const targets = { devices: names(state.devices), pools: names(state.pools) };
    const payload = task
      ? {
          description: state.description,
          automation: state.automation,
          targets,
          variables,
          ...(JSON.stringify(timing(first)) !== JSON.stringify(body) ? { timing: body } : {}),
        }
      : {
          name: state.name.trim(),
          description: state.description,
          automation: state.automation,
          targets: targets.devices.length || targets.pools.length ? targets : null,
          variables,
          paused: state.paused,
          ...body,
        };
    setBusy(true);
    try {
      const saved = await api<TaskRead>(task ? `/api/v1/tasks/${task.id}` : "/api/v1/tasks", {
        method: task ? "PATCH" : "POST",
        body: JSON.stringify(payload),
      });
      onSaved(saved);
    } catch (exc) {
      if (exc instanceof ApiError) {
        const found = fieldErrors(exc, KNOWN, ["timing.", "targets."]);
        setErrors(found);
        if (!Object.keys(found).length) setFailure(exc.message);
      } else setFailure(message(exc));
    } finally {
      setBusy(false);
    }
  };

  const error = (key: string) =>
    shown[key] ? <span class="field-error" id={`task-${key}-error`}>{shown[key]}</span> : null;
  const described = (key: string) => (shown[key] ? { "aria-describedby": `task-${key}-error`, "aria-invalid": true } : {});

  return (
    <div class="overlay" onClick={(e) => e.target === e.currentTarget && onClose()}>
      <form class="dialog task-form" role="dialog" aria-modal="true" aria-label={title} onSubmit={submit}>
        <header>
          <h3>{title}</h3>
          <button type="button" class="quiet" aria-label="Close" onClick={onClose}>✕</button>
        </header>
        <div class="form-grid">
          <div class="field">
            <label for="task-name" class="req">Name</label>
            <input id="task-name" value={state.name} onInput={text("name")} disabled={Boolean(task)}
              required placeholder="nightly-backup" {...described("name")} />
            {error("name")}
          </div>
          <div class="field">
            <label for="task-automation" class="req">Runs</label>
            <select id="task-automation" value={state.automation} required {...described("automation")}
              onChange={(e) => set({ automation: (e.target as HTMLSelectElement).value })}>
              <AutomationOptions current={state.automation} />
            </select>
            {error("automation")}
          </div>
          <div class="field wide">
            <label for="task-description">Description</label>
            <input id="task-description" value={state.description} onInput={text("description")} />
          </div>
          <h4 class="field wide section-title">Targets</h4>
          <div class="field">
            <label for="task-devices">Devices</label>
            <input id="task-devices" list="task-device-names" value={state.devices} onInput={text("devices")}
              placeholder="r1, r2" {...described("devices")} />
            <datalist id="task-device-names">
              {devices.map((name) => <option key={name} value={name} />)}
            </datalist>
            {error("devices") ?? <span class="help">Empty devices and pools: the automation's own targets</span>}
          </div>
          <div class="field">
            <label for="task-pools">Pools</label>
            <input id="task-pools" value={state.pools} onInput={text("pools")} placeholder="core, edge"
              {...described("pools")} />
            {error("pools")}
          </div>

          <h4 class="field wide section-title">Schedule</h4>
          <div class="field wide">
            <div class="segmented" role="radiogroup" aria-label="Schedule">
              {(["once", "interval", "cron"] as Kind[]).map((kind) => (
                <label key={kind} class={state.kind === kind ? "on" : ""}>
                  <input type="radio" name="task-kind" value={kind} checked={state.kind === kind}
                    onChange={() => set({ kind })} />
                  {kind === "once" ? "Once" : kind === "interval" ? "Interval" : "Cron"}
                </label>
              ))}
            </div>
          </div>

          {state.kind === "once" && (
            <div class="field">
              <label for="task-when">Date and time</label>
              <input id="task-when" type="datetime-local" value={state.when} onInput={text("when")}
                {...described("start_at")} />
              {error("start_at")}
            </div>
          )}
          {state.kind === "interval" && (
            <>
              <div class="field">
                <label for="task-every">Every</label>
                <div class="pair">
                  <input id="task-every" type="number" min="1" value={state.every} onInput={text("every")}
                    {...described("interval_seconds")} />
                  <select aria-label="Unit" value={String(state.unit)}
                    onChange={(e) => set({ unit: Number((e.target as HTMLSelectElement).value) })}>
                    {UNITS.map(([label, size]) => <option key={label} value={String(size)}>{label}</option>)}
                  </select>
                </div>
                {error("interval_seconds")}
              </div>
              <div class="field">
                <label for="task-first">First firing</label>
                <input id="task-first" type="datetime-local" value={state.first} onInput={text("first")}
                  {...described("start_at")} />
                {error("start_at") ?? <span class="help">Empty: one interval from now</span>}
              </div>
            </>
          )}
          {state.kind === "cron" && (
            <>
              <div class="field">
                <label for="task-cron">Cron expression</label>
                <input id="task-cron" class="mono" value={state.cron} onInput={text("cron")}
                  placeholder="m h dom mon dow" {...described("cron")} />
                {error("cron") ?? <span class="help">minute hour day-of-month month day-of-week</span>}
                <div class="presets">
                  {PRESETS.map(([label, expression]) => (
                    <button type="button" key={label} class={`chip-button${state.cron === expression ? " on" : ""}`}
                      onClick={() => set({ cron: expression })}>{label}</button>
                  ))}
                </div>
              </div>
              <div class="field">
                <label for="task-zone">Time zone</label>
                <select id="task-zone" value={state.timezone} {...described("timezone")}
                  onChange={(e) => set({ timezone: (e.target as HTMLSelectElement).value })}>
                  {zones().map((zone) => <option key={zone} value={zone}>{zone}</option>)}
                </select>
                {error("timezone")}
              </div>
            </>
          )}
          {state.kind !== "once" && (
            <div class="field">
              <label for="task-end">Not after</label>
              <input id="task-end" type="datetime-local" value={state.end} onInput={text("end")}
                {...described("end_at")} />
              {error("end_at") ?? <span class="help">Optional: no firing after this</span>}
            </div>
          )}

          <div class="field wide">
            <div class="preview" role="status" aria-label="Next firings">
              {preview ? (
                <>
                  <strong>{preview.summary.replace(/^./, (c) => c.toUpperCase())}</strong>
                  {preview.next.length ? (
                    <ol>
                      {preview.next.map((when) => (
                        <li key={when}>
                          {dateTime(when)} <span class="muted">· {relative(when)}</span>
                        </li>
                      ))}
                    </ol>
                  ) : (
                    <p class="muted">No firing to come: the date is past or the schedule has ended.</p>
                  )}
                </>
              ) : (
                <p class="muted">
                  {!ready
                    ? "Pick a date and time to see the firing."
                    : Object.keys(previewErrors).length
                      ? "Fix the schedule to see its next firings."
                      : "Working out the next firings…"}
                </p>
              )}
            </div>
          </div>

          <details class="field wide advanced">
            <summary>Missed firings and variables</summary>
            <div class="form-grid">
              <div class="field">
                <label for="task-misfire">Missed firings</label>
                <select id="task-misfire" value={state.misfire}
                  onChange={(e) => set({ misfire: (e.target as HTMLSelectElement).value as State["misfire"] })}>
                  <option value="run_once">Run the latest once</option>
                  <option value="skip">Skip them</option>
                  <option value="run_all">Run them all</option>
                </select>
                <span class="help">When the scheduler was down at the due time</span>
              </div>
              <div class="field">
                <label for="task-grace">Grace (seconds)</label>
                <input id="task-grace" type="number" min="0" value={state.grace} onInput={text("grace")}
                  {...described("misfire_grace")} />
                {error("misfire_grace") ?? <span class="help">Later than this counts as missed</span>}
              </div>
              <div class="field wide">
                <label for="task-variables">Variables (JSON)</label>
                <textarea id="task-variables" class="code" rows={3} value={state.variables}
                  onInput={text("variables")} placeholder='{"ticket": "CHG-1234"}' {...described("variables")} />
                {error("variables")}
              </div>
            </div>
          </details>
        </div>
        {failure && <p class="error" role="alert">{failure}</p>}
        <footer>
          {!task && (
            <label class="check">
              <input type="checkbox" checked={state.paused} onChange={(e) => set({ paused: (e.target as HTMLInputElement).checked })} />
              Start paused
            </label>
          )}
          <button type="button" class="quiet" onClick={onClose}>Cancel</button>
          <button type="submit" disabled={busy}>{task ? "Save" : "Create task"}</button>
        </footer>
      </form>
    </div>
  );
}
