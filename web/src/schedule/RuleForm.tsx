// Create or edit an event rule — every criterion of its match, the automation it starts, its
// throttling — with the API's validation shown next to each field, and a box to try the
// criteria (saved or not) on a message.
import { AutomationOptions } from "./AutomationOptions";
import { useEffect, useState } from "preact/hooks";
import { api, ApiError } from "../api";
import {
  FACILITIES, fieldErrors, message, type RuleMatch, type RuleRead, SEVERITIES, useNames,
} from "./model";

const KNOWN = [
  "name", "description", "enabled", "automation", "devices", "pool", "facilities", "max_severity",
  "program", "regex", "dedup_window", "rate_limit",
];

interface State {
  name: string;
  description: string;
  enabled: boolean;
  automation: string;
  devices: string;
  pool: string;
  facilities: number[];
  severity: string;
  program: string;
  regex: string;
  dedup: string;
  rate: string;
}

function initial(rule: RuleRead | null): State {
  const match = rule?.match ?? {};
  return {
    name: rule?.name ?? "",
    description: rule?.description ?? "",
    enabled: rule?.enabled ?? true,
    automation: rule?.automation ?? "",
    devices: (match.devices ?? []).join(", "),
    pool: match.pool ?? "",
    facilities: match.facilities ?? [],
    severity: match.max_severity === null || match.max_severity === undefined ? "" : String(match.max_severity),
    program: match.program ?? "",
    regex: match.regex ?? "",
    dedup: String(rule?.dedup_window ?? 60),
    rate: String(rule?.rate_limit ?? 10),
  };
}

function matchOf(state: State): RuleMatch {
  const match: RuleMatch = {};
  const devices = state.devices.split(/[\s,]+/).filter(Boolean);
  if (devices.length) match.devices = devices;
  if (state.pool) match.pool = state.pool;
  if (state.facilities.length) match.facilities = state.facilities;
  if (state.severity !== "") match.max_severity = Number(state.severity);
  if (state.program.trim()) match.program = state.program.trim();
  if (state.regex) match.regex = state.regex;
  return match;
}

interface Trial {
  matched: boolean;
  device: string;
  target: string;
  groups: Record<string, unknown>;
  variables: Record<string, unknown>;
  checks: { criterion: string; ok: boolean; detail: string }[];
}

function Tester({ match, automation, onErrors }: {
  match: RuleMatch;
  automation: string;
  onErrors: (errors: Record<string, string>) => void;
}) {
  const [text, setText] = useState("%LINK-3-UPDOWN: Interface GigabitEthernet0/1, changed state to down");
  const [severity, setSeverity] = useState("3");
  const [facility, setFacility] = useState("23");
  const [program, setProgram] = useState("");
  const [device, setDevice] = useState("");
  const [trial, setTrial] = useState<Trial | null>(null);
  const [failure, setFailure] = useState<string | null>(null);
  const run = async () => {
    setFailure(null);
    try {
      const body = { match, message: { message: text, severity: Number(severity), facility: Number(facility), program, device } };
      setTrial(await api<Trial>("/api/v1/event-rules/test", { method: "POST", body: JSON.stringify(body) }));
      onErrors({});
    } catch (exc) {
      setTrial(null);
      if (exc instanceof ApiError) {
        const found = fieldErrors(exc, KNOWN, ["match."]);
        onErrors(found);
        setFailure(Object.keys(found).length ? "Fix the rule's criteria first." : exc.message);
      } else setFailure(message(exc));
    }
  };
  return (
    <fieldset class="tester" aria-label="Test against a message"
      onKeyDown={(e) => {
        if (e.key === "Enter" && (e.target as HTMLElement).tagName === "INPUT") {
          e.preventDefault(); // try the message, don't save the rule
          run();
        }
      }}>
      <legend>Test against a message</legend>
      <p class="muted intro">Tries the criteria as they are in the form, saved or not. Nothing runs.</p>
      <div class="tester-grid">
        <label class="wide">
          Message
          <textarea class="mono" rows={3} value={text} onInput={(e) => setText((e.target as HTMLTextAreaElement).value)} />
        </label>
        <label>
          Test severity
          <select value={severity} onChange={(e) => setSeverity((e.target as HTMLSelectElement).value)}>
            {SEVERITIES.map((name, level) => <option key={name} value={String(level)}>{level} · {name}</option>)}
          </select>
        </label>
        <label>
          Test facility
          <select value={facility} onChange={(e) => setFacility((e.target as HTMLSelectElement).value)}>
            {FACILITIES.map((name, code) => <option key={name} value={String(code)}>{name}</option>)}
          </select>
        </label>
        <label>
          Test program
          <input value={program} onInput={(e) => setProgram((e.target as HTMLInputElement).value)} placeholder="LINK-3-UPDOWN" />
        </label>
        <label>
          Sender
          <input value={device} onInput={(e) => setDevice((e.target as HTMLInputElement).value)} placeholder="device name or address" />
        </label>
        <button type="button" class="wide" onClick={run}>Test</button>
      </div>
      {failure && <p class="error">{failure}</p>}
      {trial && (
        <div class={`verdict ${trial.matched ? "yes" : "no"}`} role="status" aria-label="Test result">
          <strong>
            {trial.matched
              ? `Matches: would run ${automation || "the automation"} on ${trial.target || "its default targets"}`
              : "No match"}
          </strong>
          {trial.checks.length === 0 && <p class="muted">No criterion: this rule matches every message.</p>}
          <ul class="checks">
            {trial.checks.map((check) => (
              <li key={check.criterion} class={check.ok ? "ok" : "ko"}>
                <span class="mark" aria-hidden="true">{check.ok ? "✓" : "✗"}</span>
                <strong>{check.criterion}</strong> {check.detail}
              </li>
            ))}
          </ul>
          {trial.matched && Object.keys(trial.groups).length > 0 && (
            <div class="groups">
              Variables from the regex:{" "}
              {Object.entries(trial.groups).map(([k, v]) => <code key={k}>{k}={String(v)}</code>)}
            </div>
          )}
        </div>
      )}
    </fieldset>
  );
}

interface Props {
  rule: RuleRead | null;
  onSaved: (rule: RuleRead) => void;
  onClose: () => void;
}

export function RuleForm({ rule, onSaved, onClose }: Props) {
  const [state, setState] = useState<State>(() => initial(rule));
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [failure, setFailure] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const pools = useNames("/api/v1/pools?limit=1000");
  const devices = useNames("/api/v1/devices?limit=200&sort=name");
  const title = rule ? `Edit rule ${rule.name}` : "New event rule";
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
    const body: Record<string, unknown> = {
      description: state.description,
      enabled: state.enabled,
      automation: state.automation,
      match: matchOf(state),
      dedup_window: Number(state.dedup),
      rate_limit: Number(state.rate),
    };
    if (!rule) body.name = state.name.trim();
    setBusy(true);
    try {
      const saved = await api<RuleRead>(
        rule ? `/api/v1/event-rules/${encodeURIComponent(rule.name)}` : "/api/v1/event-rules",
        { method: rule ? "PATCH" : "POST", body: JSON.stringify(body) },
      );
      onSaved(saved);
    } catch (exc) {
      if (exc instanceof ApiError) {
        const found = fieldErrors(exc, KNOWN, ["match."]);
        setErrors(found);
        if (!Object.keys(found).length) setFailure(exc.message);
      } else setFailure(message(exc));
    } finally {
      setBusy(false);
    }
  };

  const error = (key: string) => (errors[key] ? <span class="field-error" id={`rule-${key}-error`}>{errors[key]}</span> : null);
  const described = (key: string) => (errors[key] ? { "aria-describedby": `rule-${key}-error`, "aria-invalid": true } : {});
  const toggleFacility = (code: number) =>
    set({ facilities: state.facilities.includes(code) ? state.facilities.filter((f) => f !== code) : [...state.facilities, code].sort((a, b) => a - b) });

  return (
    <div class="overlay" onClick={(e) => e.target === e.currentTarget && onClose()}>
      <form class="dialog rule-form" role="dialog" aria-modal="true" aria-label={title} onSubmit={submit}>
        <header>
          <h3>{title}</h3>
          <button type="button" class="quiet" aria-label="Close" onClick={onClose}>✕</button>
        </header>
        <div class="rule-layout">
        <div class="form-grid">
          <div class="field">
            <label for="rule-name" class="req">Rule name</label>
            <input id="rule-name" value={state.name} onInput={text("name")} disabled={Boolean(rule)} required
              placeholder="link down" {...described("name")} />
            {error("name")}
          </div>
          <div class="field">
            <label for="rule-automation" class="req">Starts</label>
            <select id="rule-automation" value={state.automation} required {...described("automation")}
              onChange={(e) => set({ automation: (e.target as HTMLSelectElement).value })}>
              <AutomationOptions current={state.automation} />
            </select>
            {error("automation") ?? <span class="help">Run on the device the message is about</span>}
          </div>
          <div class="field wide">
            <label for="rule-description">Description</label>
            <input id="rule-description" value={state.description} onInput={text("description")} />
          </div>

          <h4 class="field wide section-title">Match — every criterion given must hold</h4>
          <div class="field wide">
            <label for="rule-regex">Regex</label>
            <input id="rule-regex" class="mono" value={state.regex} onInput={text("regex")} {...described("regex")}
              placeholder="%LINK-3-UPDOWN: Interface (?P<interface>\S+), changed state to down" />
            {error("regex") ?? (
              <span class="help">Python syntax, searched in the message; named groups become run variables (a group named <code>device</code> picks the target)</span>
            )}
          </div>
          <div class="field">
            <label for="rule-severity">Severity at or above</label>
            <select id="rule-severity" value={state.severity} {...described("max_severity")}
              onChange={(e) => set({ severity: (e.target as HTMLSelectElement).value })}>
              <option value="">any</option>
              {SEVERITIES.map((name, level) => <option key={name} value={String(level)}>{level} · {name}</option>)}
            </select>
            {error("max_severity")}
          </div>
          <div class="field">
            <label for="rule-program">Program</label>
            <input id="rule-program" value={state.program} onInput={text("program")} placeholder="LINK-* (glob)"
              {...described("program")} />
            {error("program")}
          </div>
          <div class="field">
            <label for="rule-devices">Devices</label>
            <input id="rule-devices" list="rule-device-names" value={state.devices} onInput={text("devices")}
              placeholder="core-*, edge-01 (globs)" {...described("devices")} />
            <datalist id="rule-device-names">{devices.map((name) => <option key={name} value={name} />)}</datalist>
            {error("devices")}
          </div>
          <div class="field">
            <label for="rule-pool">Pool</label>
            <select id="rule-pool" value={state.pool} {...described("pool")}
              onChange={(e) => set({ pool: (e.target as HTMLSelectElement).value })}>
              <option value="">any device</option>
              {[...new Set([...pools, ...(state.pool ? [state.pool] : [])])].map((name) => <option key={name} value={name}>{name}</option>)}
            </select>
            {error("pool")}
          </div>
          <fieldset class="field wide">
            <legend>Facilities</legend>
            <div class="facility-chips" role="group" aria-label="Facilities">
              {FACILITIES.map((name, code) => (
                <button type="button" key={name} class={`chip-button${state.facilities.includes(code) ? " on" : ""}`}
                  aria-pressed={state.facilities.includes(code)} onClick={() => toggleFacility(code)}>
                  {name}
                </button>
              ))}
            </div>
            {error("facilities") ?? <span class="help">None picked: any facility</span>}
          </fieldset>

          <h4 class="field wide section-title">Throttling</h4>
          <div class="field">
            <label for="rule-dedup">Dedup window (seconds)</label>
            <input id="rule-dedup" type="number" min="0" value={state.dedup} onInput={text("dedup")} {...described("dedup_window")} />
            {error("dedup_window") ?? <span class="help">The same device and variables fire once in this window</span>}
          </div>
          <div class="field">
            <label for="rule-rate">Rate limit (per minute)</label>
            <input id="rule-rate" type="number" min="1" value={state.rate} onInput={text("rate")} {...described("rate_limit")} />
            {error("rate_limit") ?? <span class="help">Firings beyond this are logged, not run</span>}
          </div>
          <div class="field checkbox">
            <input id="rule-enabled" type="checkbox" checked={state.enabled}
              onChange={(e) => set({ enabled: (e.target as HTMLInputElement).checked })} />
            <label for="rule-enabled">Enabled</label>
          </div>
        </div>

        <Tester match={matchOf(state)} automation={state.automation} onErrors={setErrors} />
        </div>

        {failure && <p class="error" role="alert">{failure}</p>}
        <footer>
          <button type="button" class="quiet" onClick={onClose}>Cancel</button>
          <button type="submit" disabled={busy}>{rule ? "Save" : "Create rule"}</button>
        </footer>
      </form>
    </div>
  );
}
