// Run a service: pick it (unless given), override its inputs in the form generated from its
// type's schema, pick targets (unless fixed), run, and follow the run's page.
import { useEffect, useState } from "preact/hooks";
import { api, ApiError, type Page } from "../api";
import { fieldsOf, type FieldModel } from "../forms/schema";
import { changed, errorsUnder, SchemaForm, type Values } from "../forms/SchemaForm";
import { go } from "../router";
import { NO_TARGETS, TargetPicker, targetCount, type Targets } from "./TargetPicker";

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

export function RunPanel({ service, device }: { service?: Automation; device?: string }) {
  const [services, setServices] = useState<Automation[]>([]);
  const [chosen, setChosen] = useState<Automation | null>(service ?? null);
  const [fields, setFields] = useState<FieldModel[] | null>(null);
  const [overrides, setOverrides] = useState<Values>({});
  const [invalid, setInvalid] = useState<Record<string, string>>({});
  const [targets, setTargets] = useState<Targets>(NO_TARGETS);
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [message, setMessage] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    if (service) return;
    api<Page<Automation>>("/api/v1/services?limit=1000").then((page) => setServices(page.items));
  }, [service]);
  useEffect(() => {
    setFields(null);
    setOverrides({});
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
    if (device) body.targets = { devices: [device] };
    else if (targetCount(targets)) body.targets = targets;
    try {
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

  const defaults = chosen?.options.targets;
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
          <p class="meta">{chosen.description || `A ${chosen.type} service.`} Inputs below override the saved ones for this run only.</p>
          <SchemaForm key={chosen.id} fields={fields} initial={chosen.inputs} errors={errors}
            idPrefix="run" onChange={(values, problems) => {
              setOverrides(values);
              setInvalid(problems);
            }} />
          {!device && (
            <>
              <h4>Targets</h4>
              <p class="meta">
                {targetCount(targets)
                  ? "These replace the service's default targets."
                  : defaults && targetCount({ ...NO_TARGETS, ...defaults })
                    ? `None chosen: the service's defaults (${[...(defaults.devices ?? []), ...(defaults.pools ?? [])].join(", ") || "a query"}).`
                    : "Choose devices or pools."}
              </p>
              <TargetPicker value={targets} onChange={setTargets} />
            </>
          )}
        </>
      )}
      {message && <p class="error" role="alert">{message}</p>}
      <footer>
        <button type="submit" disabled={!chosen || busy}>
          {busy ? "Starting…" : device ? `Run on ${device}` : "Run"}
        </button>
      </footer>
    </form>
  );
}
