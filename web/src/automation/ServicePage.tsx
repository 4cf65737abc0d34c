// Create or edit a service: its type's inputs as a generated form (declared once, in the
// service's pydantic Inputs), the common options as structured editors generated from
// ServiceOptions' JSON Schema, default targets; then run it (with the saved inputs).
import { useEffect, useState } from "preact/hooks";
import { api, ApiError } from "../api";
import { PermissionsButton, usePermissions } from "../forms/PermissionsDialog";
import { apiSchema, fieldsOf, type FieldModel } from "../forms/schema";
import { changed, errorsUnder, SchemaForm, type Values } from "../forms/SchemaForm";
import { go } from "../router";
import { canEdit, useUser } from "../session";
import { RunPanel, type Automation, type ServiceType } from "./RunPanel";
import { NO_TARGETS, TargetPicker, type Targets } from "./TargetPicker";

// ``targets`` has its own picker; ``mode`` only applies to workflows (a service's follows
// its run method).
const NOT_HERE = ["targets", "mode"];

export function ServicePage({ id }: { id: string | null }) {
  const user = useUser();
  const [service, setService] = useState<Automation | null>(null);
  const [types, setTypes] = useState<ServiceType[]>([]);
  const [type, setType] = useState<ServiceType | null>(null);
  const [optionFields, setOptionFields] = useState<FieldModel[] | null>(null);
  const [name, setName] = useState("");
  const [description, setDescription] = useState("");
  const [inputs, setInputs] = useState<Values>({});
  const [options, setOptions] = useState<Values>({});
  const [targets, setTargets] = useState<Targets>(NO_TARGETS);
  const [invalid, setInvalid] = useState<Record<string, string>>({});
  const [invalidOptions, setInvalidOptions] = useState<Record<string, string>>({});
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [message, setMessage] = useState<string | null>(null);
  const [saved, setSaved] = useState(false);
  const [openPermissions, permissions] = usePermissions();

  useEffect(() => {
    api<ServiceType[]>("/api/v1/service-types").then((all) => setTypes(all.filter((t) => t.enabled)));
    apiSchema("ServiceOptions").then(([schema, defs]) => setOptionFields(fieldsOf(schema, defs)));
    if (id === null) return;
    api<Automation>(`/api/v1/services/${id}`).then((found) => {
      setService(found);
      setName(found.name);
      setDescription(found.description);
      setInputs(found.inputs);
      setOptions(found.options);
      setTargets({ ...NO_TARGETS, ...(found.options.targets ?? {}) });
    }, (exc: Error) => setMessage(exc.message));
  }, [id]);
  useEffect(() => {
    const wanted = service?.type ?? type?.name;
    if (wanted && types.length) setType(types.find((t) => t.name === wanted) ?? null);
  }, [service, types]);

  const editable = canEdit(user);
  const inputFields = type ? fieldsOf(type.input_schema) : null;

  const save = async (event: Event) => {
    event.preventDefault();
    if (!type || Object.keys(invalid).length || Object.keys(invalidOptions).length) return;
    setErrors({});
    setMessage(null);
    setSaved(false);
    const body: Values = {
      name,
      description,
      inputs,
      options: { ...(service?.options ?? {}), ...options, targets },
    };
    try {
      if (service) {
        const update = changed(service as unknown as Values, body);
        const answer = await api<Automation>(`/api/v1/services/${service.id}`, {
          method: "PATCH",
          body: JSON.stringify(update),
        });
        setService(answer);
        setSaved(true);
      } else {
        const answer = await api<Automation>("/api/v1/services", {
          method: "POST",
          body: JSON.stringify({ ...body, type: type.name }),
        });
        go(`services/${answer.id}`);
      }
    } catch (exc) {
      if (exc instanceof ApiError) {
        // Full paths ("options.validation.0.match"): each nested editor shows its part.
        const byField = exc.byField();
        setErrors({ ...errorsUnder(byField), ...byField });
        setMessage(exc.message);
      } else setMessage(String(exc));
    }
  };

  const fieldErrors = (prefix: string) =>
    Object.fromEntries(
      Object.entries(errors)
        .filter(([key]) => key.startsWith(`${prefix}.`))
        .map(([key, value]) => [key.slice(prefix.length + 1), value]),
    );

  if (id !== null && !service)
    return (
      <section aria-label="Service" aria-busy={!message}>
        <div class="toolbar">
          <h2>Service</h2>
          <a class="button-link" href="#/services">All services</a>
        </div>
        {message ? <p class="error" role="alert">{message}</p> : <p class="service-loading" role="status">Loading the service…</p>}
      </section>
    );

  return (
    <section aria-label={service ? `Service ${service.name}` : "New service"}>
      <div class="toolbar">
        <h2>{service ? service.name : "New service"} {type && <small>{type.title || type.name}</small>}</h2>
        {service && (
          <PermissionsButton open={openPermissions} target={{ kind: "service", id: service.id, name: service.name }} />
        )}
        <a class="button-link" href="#/services">All services</a>
      </div>
      {permissions}
      <form class="card service-form" aria-label="Service definition" onSubmit={save} noValidate>
        <div class="schema-form">
          <div class="field">
            <label for="svc-name">Name <span class="required" aria-hidden="true">*</span></label>
            <input id="svc-name" value={name} disabled={!editable}
              onInput={(e) => setName((e.target as HTMLInputElement).value)} />
            {errors.name && <small class="field-error" role="alert">{errors.name}</small>}
          </div>
          <div class="field">
            <label for="svc-type">Type <span class="required" aria-hidden="true">*</span></label>
            <select id="svc-type" value={type?.name ?? ""} disabled={Boolean(service) || !editable}
              onChange={(e) => {
                setType(types.find((t) => t.name === (e.target as HTMLSelectElement).value) ?? null);
                setInputs({});
              }}>
              <option value="">Choose a type…</option>
              {types.map((t) => (
                <option key={t.name} value={t.name}>
                  {t.title || t.name}{t.privileged ? " (admin only)" : ""}
                </option>
              ))}
            </select>
            {type?.description && <small class="help">{type.description}</small>}
            {type?.privileged && (
              <small class="help privileged" role="note">
                Privileged: it runs code or reaches any host from the server, so only admins
                create or change it; operators run it as saved.
              </small>
            )}
          </div>
          <div class="field wide">
            <label for="svc-description">Description</label>
            <input id="svc-description" value={description} disabled={!editable}
              onInput={(e) => setDescription((e.target as HTMLInputElement).value)} />
          </div>
        </div>
        {inputFields && (
          <fieldset aria-label="Inputs">
            <legend>Inputs</legend>
            <SchemaForm key={`${type!.name}-${service?.id ?? "new"}`} fields={inputFields} initial={inputs}
              errors={fieldErrors("inputs")} idPrefix="in" disabled={!editable}
              onChange={(values, problems) => {
                setInputs(values);
                setInvalid(problems);
              }} />
          </fieldset>
        )}
        {type && optionFields && (
          <details class="options">
            <summary>Options: retries, timeout, parallelism, credential, validation, iteration, notification</summary>
            <div role="group" aria-label="Options">
              <SchemaForm key={`options-${service?.id ?? "new"}`} fields={optionFields}
                initial={service?.options ?? {}} hidden={NOT_HERE} errors={fieldErrors("options")}
                idPrefix="opt" disabled={!editable}
                onChange={(values, problems) => {
                  setOptions(values);
                  setInvalidOptions(problems);
                }} />
            </div>
          </details>
        )}
        {type && (
          <fieldset aria-label="Default targets">
            <legend>Default targets</legend>
            <TargetPicker value={targets} onChange={setTargets} />
          </fieldset>
        )}
        {message && <p class="error" role="alert">{message}</p>}
        {saved && <p class="notice ok" role="status">Saved.</p>}
        {editable && (
          <footer>
            <button type="submit" disabled={!type}>{service ? "Save" : "Create service"}</button>
          </footer>
        )}
      </form>
      {service && editable && (
        <>
          <h3>Run {service.name}</h3>
          <p class="meta">Runs the saved inputs and options.</p>
          <RunPanel key={service.updated_at} service={service} editInputs={false} />
        </>
      )}
    </section>
  );
}
