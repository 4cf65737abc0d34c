// Create or edit one inventory object in a dialog; the form comes from the API's schema.
import { useEffect, useState } from "preact/hooks";
import { api, ApiError } from "../api";
import type { ResourceSpec } from "../table";
import { fieldsOf, type FieldModel, apiSchema } from "./schema";
import { changed, errorsUnder, SchemaForm, type Values } from "./SchemaForm";

interface Props {
  resource: ResourceSpec;
  endpoint: string;
  row: Record<string, unknown> | null; // null: create
  onSaved: (saved: Record<string, unknown>) => void;
  onClose: () => void;
}

export function ResourceDialog({ resource, endpoint, row, onSaved, onClose }: Props) {
  const [fields, setFields] = useState<FieldModel[] | null>(null);
  const [values, setValues] = useState<Values>({});
  const [invalid, setInvalid] = useState<Record<string, string>>({});
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [message, setMessage] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const title = row ? `Edit ${String(row.name ?? row.id)}` : `New ${resource.noun}`;

  useEffect(() => {
    apiSchema(resource.schema).then(
      ([schema, defs]) => setFields(fieldsOf(schema, defs)),
      (exc: Error) => setMessage(exc.message),
    );
  }, [resource.schema]);
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => e.key === "Escape" && onClose();
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  }, []);

  const submit = async (event: Event) => {
    event.preventDefault();
    if (Object.keys(invalid).length) return;
    setBusy(true);
    setErrors({});
    setMessage(null);
    try {
      const body = row ? changed(row, values) : values;
      const saved = await api<Record<string, unknown>>(row ? `${endpoint}/${row.id}` : endpoint, {
        method: row ? "PATCH" : "POST",
        body: JSON.stringify(body),
      });
      onSaved(saved);
    } catch (exc) {
      if (exc instanceof ApiError) {
        setErrors(errorsUnder(exc.byField()));
        setMessage(exc.message);
      } else setMessage(String(exc));
    } finally {
      setBusy(false);
    }
  };

  return (
    <div class="overlay" onClick={(e) => e.target === e.currentTarget && onClose()}>
      <form class="dialog" role="dialog" aria-modal="true" aria-label={title} onSubmit={submit}>
        <header>
          <h3>{title}</h3>
          <button type="button" class="quiet" aria-label="Close" onClick={onClose}>✕</button>
        </header>
        {fields ? (
          <SchemaForm
            fields={fields}
            initial={row ?? {}}
            hidden={resource.hidden}
            keepSecrets={Boolean(row && resource.secrets)}
            errors={errors}
            idPrefix={resource.noun.replace(/\W/g, "")}
            onChange={(next, problems) => {
              setValues(next);
              setInvalid(problems);
            }}
          />
        ) : (
          !message && <p class="empty">Loading the form…</p>
        )}
        {message && <p class="error" role="alert">{message}</p>}
        <footer>
          <button type="button" class="quiet" onClick={onClose}>Cancel</button>
          <button type="submit" disabled={busy || !fields}>{row ? "Save" : "Create"}</button>
        </footer>
      </form>
    </div>
  );
}
