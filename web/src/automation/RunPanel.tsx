// Run a service: pick it (unless given), override its inputs in the form generated from its
// type's schema, pick targets (unless fixed), run, and follow the run's page.
import { useEffect, useState } from "preact/hooks";
import { api, ApiError, type Page } from "../api";
import { fieldsOf, type FieldModel } from "../forms/schema";
import { changed, errorsUnder, SchemaForm, type Values } from "../forms/SchemaForm";
import { go } from "../router";
import { useChangeGuard } from "../inventory/ChangePreview";
import { NO_TARGETS, TargetPicker, targetCount, type Targets } from "./TargetPicker";
import { describeTargets, normalTargets, QueryFields } from "./TargetQuery";
import { RunVariables, useVariables, variableValues } from "./RunVariables";

export interface Automation {
  id: number;
  name: string;
  kind: string;
  type: string;
  description: string;
  inputs: Values;
  options: Values & { targets?: Targets };
  graph: unknown;
  updated_at: string;
}

export interface ServiceType {
  name: string;
  title: string;
  description: string;
  input_schema: Record<string, unknown>;
  per_device: boolean;
  enabled: boolean;
  /** Runs code or reaches any host from the server: only admins create or change it. */
  privileged: boolean;
}

export function RunPanel({ service, device, targets: initialTargets, editInputs = true }: {
  service?: Automation;
  device?: string;
  /** false: run the saved inputs (the service page has the inputs form already). */
  editInputs?: boolean;
  /** The targets chosen when the panel opens (the devices selected in a table). */
  targets?: Targets;
}) {
  const [services, setServices] = useState<Automation[]>([]);
  const [chosen, setChosen] = useState<Automation | null>(service ?? null);
  const [fields, setFields] = useState<FieldModel[] | null>(null);
  const [overrides, setOverrides] = useState<Values>({});
  const [invalid, setInvalid] = useState<Record<string, string>>({});
  const [targets, setTargets] = useState<Targets>(initialTargets ?? NO_TARGETS);
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [message, setMessage] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [variables, setVariables] = useState<Record<string, string>>({});
  const [showQuery, setShowQuery] = useState(false);
  const uses = useVariables(chosen ? `/api/v1/services/${chosen.id}` : null);
  const guard = useChangeGuard(); // a configuration change asks first, with a dry-run diff

  useEffect(() => {
    if (service) return;
    api<Page<Automation>>("/api/v1/services?limit=1000").then((page) => setServices(page.items));
  }, [service]);
  useEffect(() => {
    setFields(null);
    setOverrides({});
    setVariables({});
    if (!chosen) return;
    api<ServiceType>(`/api/v1/service-types/${chosen.type}`).then(
      (type) => setFields(fieldsOf(type.input_schema)),
      (exc: Error) => setMessage(exc.message),
    );
  }, [chosen?.id]);

  const run = async (event: Event) => {
    event.preventDefault();
    if (!chosen || Object.keys(invalid).length) return;
    setBusy(true);
    setErrors({});
    setMessage(null);
    const body: Values = { inputs: changed(chosen.inputs, overrides) };
    const vars = variableValues(variables);
    if (Object.keys(vars).length) body.variables = vars;
    if (device) body.targets = { devices: [device] };
    else if (targetCount(targets)) body.targets = targets;
    try {
      if (await guard.intercept(chosen, body, device)) return;
      const started = await api<{ id: string }>(`/api/v1/run/${encodeURIComponent(chosen.name)}`, {
        method: "POST",
        body: JSON.stringify(body),
      });
      go(`runs/${started.id}`);
    } catch (exc) {
      if (exc instanceof ApiError) {
        setErrors(errorsUnder(exc.byField(), "inputs"));
        setMessage(exc.message);
      } else setMessage(String(exc));
    } finally {
      setBusy(false);
    }
  };

  const defaults = normalTargets(chosen?.options.targets);
  return (
    <form class="card run-panel" aria-label="Run a service" onSubmit={run}>
      {!service && (
        <label>
          Service
          <select value={chosen ? String(chosen.id) : ""}
            onChange={(e) => {
              const id = Number((e.target as HTMLSelectElement).value);
              setChosen(services.find((s) => s.id === id) ?? null);
            }}>
            <option value="">Choose a service…</option>
            {services.map((s) => (
              <option key={s.id} value={String(s.id)}>{s.name} ({s.type})</option>
            ))}
          </select>
        </label>
      )}
      {chosen && fields && (
        <>
          {editInputs && (
            <>
              <p class="meta">{chosen.description || `A ${chosen.type} service.`} Inputs below override the saved ones for this run only.</p>
              <SchemaForm key={chosen.id} fields={fields} initial={chosen.inputs} errors={errors}
                idPrefix="run" onChange={(values, problems) => {
                  setOverrides(values);
                  setInvalid(problems);
                }} />
            </>
          )}
          {!device && (
            <>
              <h4>Targets</h4>
              <p class="meta">
                {targetCount(targets)
                  ? "These replace the service's default targets."
                  : targetCount(defaults)
                    ? `None chosen: the service's defaults (${describeTargets(defaults)}).`
                    : "Choose devices, pools or an inventory query."}
              </p>
              <TargetPicker value={targets} onChange={setTargets} />
              {showQuery || targets.query ? (
                <QueryFields idPrefix="run" value={targets.query}
                  onChange={(query) => setTargets({ ...targets, query })} />
              ) : (
                <button type="button" class="quiet" onClick={() => setShowQuery(true)}>Add an inventory query</button>
              )}
            </>
          )}
        </>
      )}
      {chosen && <RunVariables uses={uses} values={variables} onChange={setVariables} idPrefix="run" />}
      {message && <p class="error" role="alert">{message}</p>}
      <footer>
        <button type="submit" disabled={!chosen || busy}>
          {busy ? "Starting…" : device ? `Run on ${device}` : "Run"}
        </button>
      </footer>
      {guard.dialog}
    </form>
  );
}
