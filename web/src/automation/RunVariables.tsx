// The run variables (`vars.*`) a service or workflow reads, asked for before a run: the API
// finds them in the templates (GET /api/v1/{services|workflows}/{id}/variables); one text
// field each, the required ones (read without a default) marked and required.
import { useEffect, useState } from "preact/hooks";
import { api } from "../api";

export interface VariableUse {
  name: string;
  required: boolean;
  used_by: string[];
}

/** The variables of `/api/v1/services/3` or `/api/v1/workflows/5` (null while loading). */
export function useVariables(base: string | null): VariableUse[] | null {
  const [uses, setUses] = useState<VariableUse[] | null>(null);
  useEffect(() => {
    setUses(null);
    if (!base) return;
    let stale = false;
    api<{ variables: VariableUse[] }>(`${base}/variables`).then(
      (found) => !stale && setUses(found.variables),
      () => !stale && setUses([]),
    );
    return () => {
      stale = true;
    };
  }, [base]);
  return uses;
}

/** The run's `variables`: a value is read as JSON when it parses (42, true, ["a"]), as
 * text otherwise, like the CLI's `-v name=value`; empty fields are left out. */
export function variableValues(values: Record<string, string>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [name, text] of Object.entries(values)) {
    if (text === "") continue;
    try {
      out[name] = JSON.parse(text);
    } catch {
      out[name] = text;
    }
  }
  return out;
}

export function RunVariables({
  uses,
  values,
  onChange,
  idPrefix,
}: {
  uses: VariableUse[] | null;
  values: Record<string, string>;
  onChange: (values: Record<string, string>) => void;
  idPrefix: string;
}) {
  if (!uses || !uses.length) return null;
  return (
    <fieldset class="run-vars" aria-label="Variables">
      <legend>Variables</legend>
      <p class="meta">
        Read by the templates as <code>{"{{ vars.name }}"}</code>. Numbers, true/false and JSON are
        sent as such, anything else as text.
      </p>
      {uses.map((use) => {
        const id = `${idPrefix}-var-${use.name}`;
        return (
          <div class="run-var" key={use.name}>
            <label for={id} class={use.required ? "required" : undefined}>
              <code>{use.name}</code>
            </label>
            <input id={id} name={`vars.${use.name}`} value={values[use.name] ?? ""} required={use.required}
              aria-required={use.required} aria-describedby={`${id}-help`}
              onInput={(e) => onChange({ ...values, [use.name]: (e.target as HTMLInputElement).value })} />
            <small id={`${id}-help`} class="meta">
              {use.required ? "Required" : "Optional: the templates have a default"} · used by {use.used_by.join(", ")}.
            </small>
          </div>
        );
      })}
    </fieldset>
  );
}
