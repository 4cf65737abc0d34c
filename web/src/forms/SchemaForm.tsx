// A form generated from a JSON Schema: string → text box, enum → select, list of enum →
// multi-select, list of strings → one per line, bool → checkbox, anything else → JSON editor.
import { useEffect, useState } from "preact/hooks";
import { api, type Page } from "../api";
import { display, type FieldModel, parse, ParseError } from "./schema";

export type Values = Record<string, unknown>;

interface Props {
  fields: FieldModel[];
  /** Values as the API holds them; the form keeps its own text until it parses. */
  initial: Values;
  onChange: (values: Values, invalid: Record<string, string>) => void;
  /** Messages per field key (from the API's 422 answer, already stripped of any prefix). */
  errors?: Record<string, string>;
  /** Field keys left out (e.g. secrets shown as "set" elsewhere). */
  hidden?: string[];
  /** Password fields: leave empty to keep the stored secret. */
  keepSecrets?: boolean;
  idPrefix?: string;
}

const LOOKUPS: Record<string, (text: string) => string> = {
  devices: (text) => `/api/v1/devices?limit=20&sort=name${text ? `&q=${encodeURIComponent(text)}` : ""}`,
  pools: (text) => `/api/v1/pools?limit=20${text ? `&name=${encodeURIComponent(`*${text}*`)}` : ""}`,
  credentials: () => "/api/v1/credentials",
  bastions: () => "/api/v1/bastions",
  services: (text) => `/api/v1/services?limit=20${text ? `&name=${encodeURIComponent(text)}` : ""}`,
};

/** Names offered while typing in a field with an ``x-lookup`` hint. */
function useNames(lookup: string | null, text: string): string[] {
  const [names, setNames] = useState<string[]>([]);
  useEffect(() => {
    const url = lookup && LOOKUPS[lookup]?.(text);
    if (!url) return;
    let stale = false;
    const timer = setTimeout(() => {
      api<Page<{ name: string }> | { name: string }[]>(url).then(
        (answer) => {
          if (stale) return;
          const rows = Array.isArray(answer) ? answer : answer.items;
          setNames(rows.map((row) => row.name));
        },
        () => undefined,
      );
    }, 150);
    return () => {
      stale = true;
      clearTimeout(timer);
    };
  }, [lookup, text]);
  return names;
}

function Widget({
  field,
  id,
  text,
  setText,
  keepSecrets,
}: {
  field: FieldModel;
  id: string;
  text: string | boolean | string[];
  setText: (value: string | boolean | string[]) => void;
  keepSecrets: boolean;
}) {
  const names = useNames(field.lookup, typeof text === "string" ? text : "");
  const onText = (e: Event) => setText((e.target as HTMLInputElement).value);
  switch (field.widget) {
    case "checkbox":
      return (
        <input id={id} type="checkbox" checked={Boolean(text)}
          onChange={(e) => setText((e.target as HTMLInputElement).checked)} />
      );
    case "select":
      return (
        <select id={id} value={String(text)} onChange={onText}>
          {(field.nullable || (!field.required && field.schema.default === undefined)) && (
            <option value="">—</option>
          )}
          {field.options.map((option) => (
            <option key={option} value={option}>{option}</option>
          ))}
        </select>
      );
    case "multiselect": {
      const chosen = new Set(Array.isArray(text) ? text : []);
      return (
        <div class="choices" role="group" id={id} aria-label={field.label}>
          {field.options.map((option) => (
            <label key={option} class="choice">
              <input type="checkbox" checked={chosen.has(option)}
                onChange={(e) => {
                  const next = new Set(chosen);
                  if ((e.target as HTMLInputElement).checked) next.add(option);
                  else next.delete(option);
                  setText(field.options.filter((o) => next.has(o)));
                }} />
              {option}
            </label>
          ))}
        </div>
      );
    }
    case "textarea":
    case "lines":
    case "json":
      return (
        <textarea id={id} class={field.widget === "json" ? "code" : ""}
          rows={field.widget === "textarea" ? 8 : field.widget === "json" ? 6 : 4}
          placeholder={field.widget === "lines" ? "one per line" : field.widget === "json" ? "JSON" : ""}
          value={String(text)} onInput={onText} spellcheck={false} />
      );
    case "password":
      return (
        <input id={id} type="password" autocomplete="new-password" value={String(text)}
          placeholder={keepSecrets ? "unchanged" : ""} onInput={onText} />
      );
    default: {
      const list = field.lookup ? `${id}-names` : undefined;
      return (
        <>
          <input id={id} type={field.widget === "text" ? "text" : "number"}
            step={field.widget === "number" ? "any" : undefined}
            value={String(text)} onInput={onText} list={list} autocomplete="off" />
          {list && (
            <datalist id={list}>
              {names.map((name) => <option key={name} value={name} />)}
            </datalist>
          )}
        </>
      );
    }
  }
}

export function SchemaForm({
  fields,
  initial,
  onChange,
  errors = {},
  hidden = [],
  keepSecrets = false,
  idPrefix = "f",
}: Props) {
  const [texts, setTexts] = useState<Record<string, string | boolean | string[]>>(() =>
    Object.fromEntries(
      fields.map((f) => [f.key, display(f, initial[f.key] ?? (keepSecrets ? undefined : f.schema.default))]),
    ),
  );
  const [invalid, setInvalid] = useState<Record<string, string>>({});

  const update = (key: string, text: string | boolean | string[]) => {
    const next = { ...texts, [key]: text };
    setTexts(next);
    const values: Values = {};
    const problems: Record<string, string> = {};
    for (const field of fields) {
      if (hidden.includes(field.key)) continue;
      try {
        const value = parse(field, next[field.key]);
        if (value !== undefined) values[field.key] = value;
      } catch (exc) {
        problems[field.key] = exc instanceof ParseError ? exc.message : String(exc);
      }
    }
    setInvalid(problems);
    onChange(values, problems);
  };

  return (
    <div class="schema-form">
      {fields
        .filter((f) => !hidden.includes(f.key))
        .map((field) => {
          const id = `${idPrefix}-${field.key}`;
          const message = invalid[field.key] ?? errors[field.key];
          const wide = ["textarea", "lines", "json", "multiselect"].includes(field.widget);
          return (
            <div key={field.key} class={`field ${wide ? "wide" : ""} ${field.widget}`}>
              <label for={id}>
                {field.label}
                {field.required && !field.nullable && <span class="required" aria-hidden="true"> *</span>}
              </label>
              <Widget field={field} id={id} text={texts[field.key]} keepSecrets={keepSecrets}
                setText={(value) => update(field.key, value)} />
              {field.help && <small class="help">{field.help}</small>}
              {message && <small class="field-error" role="alert">{message}</small>}
            </div>
          );
        })}
    </div>
  );
}

/** Values changed from ``before`` (for PATCH). */
export function changed(before: Values, after: Values): Values {
  const diff: Values = {};
  for (const [key, value] of Object.entries(after)) {
    if (JSON.stringify(before[key] ?? null) !== JSON.stringify(value ?? null)) diff[key] = value;
  }
  return diff;
}

/** API field errors ("inputs.commands.0") under a prefix ("inputs") → {"commands": ...}. */
export function errorsUnder(byField: Record<string, string>, prefix = ""): Record<string, string> {
  const found: Record<string, string> = {};
  for (const [path, message] of Object.entries(byField)) {
    if (prefix && !path.startsWith(`${prefix}.`)) continue;
    const key = (prefix ? path.slice(prefix.length + 1) : path).split(".")[0];
    found[key] ??= message;
  }
  return found;
}
