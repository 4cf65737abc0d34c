// A form generated from a JSON Schema: string → text box, enum → select, list of enum →
// multi-select, list of strings → one per line, bool → checkbox beside its label, a name
// from a collection → select, an object → a fieldset of its own fields, a list of objects
// → one fieldset per item with add/remove; only a free-form value is a JSON editor.
import { useEffect, useRef, useState } from "preact/hooks";
import { api, type Page } from "../api";
import { defaultsOf, display, type FieldModel, parse, ParseError } from "./schema";

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
  /** Read only (a viewer): every control disabled, no add/remove buttons. */
  disabled?: boolean;
}

/** A sub-form's state, kept by its parent: the value it builds and its problems. */
interface Nested {
  nested: true;
  value: unknown;
  problems: Record<string, string>;
}

type Text = string | boolean | string[] | Nested;

function isNested(text: Text | undefined): text is Nested {
  return typeof text === "object" && text !== null && !Array.isArray(text);
}

/** Errors under ``prefix.`` with the prefix taken off. */
function under(errors: Record<string, string>, prefix: string): Record<string, string> {
  const found: Record<string, string> = {};
  for (const [path, message] of Object.entries(errors))
    if (path.startsWith(`${prefix}.`)) found[path.slice(prefix.length + 1)] = message;
  return found;
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
  const names = useNames(field.lookup, field.widget === "choice" ? "" : typeof text === "string" ? text : "");
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
    case "choice": {
      const current = String(text);
      return (
        <select id={id} value={current} onChange={onText}>
          {(field.nullable || !field.required) && <option value="">—</option>}
          {current && !names.includes(current) && <option value={current}>{current}</option>}
          {names.map((name) => (
            <option key={name} value={name}>{name}</option>
          ))}
        </select>
      );
    }
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
            min={field.widget === "text" ? undefined : field.schema.minimum}
            max={field.widget === "text" ? undefined : field.schema.maximum}
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

/** An object's fields in a fieldset; an optional one is switched on and off. */
function ObjectWidget({ field, id, value, errors, disabled, onChange }: {
  field: FieldModel;
  id: string;
  value: unknown;
  errors: Record<string, string>;
  disabled: boolean;
  onChange: (value: unknown, problems: Record<string, string>) => void;
}) {
  const optional = field.nullable || !field.required;
  const on = value !== null && value !== undefined;
  const [generation, setGeneration] = useState(0);
  const start = (on ? value : defaultsOf(field.fields)) as Values;
  return (
    <fieldset class="nested" aria-label={field.label}>
      <legend>{field.label}</legend>
      {field.help && <small class="help">{field.help}</small>}
      {optional && (
        <div class="check-line">
          <input id={`${id}-set`} type="checkbox" checked={on}
            onChange={(e) => {
              const checked = (e.target as HTMLInputElement).checked;
              setGeneration(generation + 1);
              onChange(checked ? defaultsOf(field.fields) : field.nullable ? null : undefined, {});
            }} />
          <label for={`${id}-set`}>Set {field.label}</label>
        </div>
      )}
      {(on || !optional) && (
        <SchemaForm key={generation} fields={field.fields} initial={start} errors={errors}
          idPrefix={id} disabled={disabled}
          onChange={(values, problems) => onChange(values, problems)} />
      )}
    </fieldset>
  );
}

/** A list of objects: one fieldset per item, with add and remove. */
function ObjectsWidget({ field, id, value, errors, disabled, onChange }: {
  field: FieldModel;
  id: string;
  value: unknown;
  errors: Record<string, string>;
  disabled: boolean;
  onChange: (value: unknown, problems: Record<string, string>) => void;
}) {
  const counter = useRef(0);
  const fresh = () => (counter.current += 1);
  const [items, setItems] = useState<{ key: number; value: Values; problems: Record<string, string> }[]>(() =>
    (Array.isArray(value) ? (value as Values[]) : []).map((item) => ({ key: fresh(), value: item, problems: {} })),
  );
  const publish = (next: typeof items) => {
    setItems(next);
    const problems: Record<string, string> = {};
    next.forEach((item, index) => {
      for (const [path, message] of Object.entries(item.problems)) problems[`${index}.${path}`] = message;
    });
    onChange(next.map((item) => item.value), problems);
  };
  const name = field.itemLabel || "Item";
  const max = field.schema.maxItems;
  return (
    <fieldset class="nested list" aria-label={field.label}>
      <legend>{field.label}</legend>
      {field.help && <small class="help">{field.help}</small>}
      {items.length === 0 && <p class="empty">None.</p>}
      {items.map((item, index) => {
        const itemErrors = under(errors, String(index));
        return (
          <fieldset key={item.key} class="item" aria-label={`${name} ${index + 1}`}>
            <legend>{name} {index + 1}</legend>
            <SchemaForm fields={field.fields} initial={item.value} errors={itemErrors}
              idPrefix={`${id}-${item.key}`} disabled={disabled}
              onChange={(values, problems) =>
                publish(items.map((other) => (other.key === item.key ? { ...other, value: values, problems } : other)))
              } />
            {errors[String(index)] && <small class="field-error" role="alert">{errors[String(index)]}</small>}
            {!disabled && (
              <button type="button" class="quiet" onClick={() => publish(items.filter((other) => other.key !== item.key))}>
                Remove
              </button>
            )}
          </fieldset>
        );
      })}
      {!disabled && (max === undefined || items.length < max) && (
        <button type="button" onClick={() => publish([...items, { key: fresh(), value: defaultsOf(field.fields), problems: {} }])}>
          Add {name.toLowerCase()}
        </button>
      )}
    </fieldset>
  );
}

export function SchemaForm({
  fields,
  initial,
  onChange,
  errors = {},
  hidden = [],
  keepSecrets = false,
  idPrefix = "f",
  disabled = false,
}: Props) {
  const [texts, setTexts] = useState<Record<string, Text>>(() =>
    Object.fromEntries(
      fields.map((f) => {
        const value = initial[f.key] ?? (keepSecrets ? undefined : f.schema.default);
        if (f.widget === "object" || f.widget === "objects")
          return [f.key, { nested: true, value: initial[f.key] ?? (f.widget === "objects" ? [] : f.nullable ? null : undefined), problems: {} }];
        return [f.key, display(f, value)];
      }),
    ),
  );
  const [invalid, setInvalid] = useState<Record<string, string>>({});

  const update = (key: string, text: Text) => {
    const next = { ...texts, [key]: text };
    setTexts(next);
    const values: Values = {};
    const problems: Record<string, string> = {};
    const shown = fields.filter((field) => !hidden.includes(field.key));
    // Nested values and plain ones first: a text field may read its siblings (x-json-when).
    const siblings: Values = {};
    for (const field of shown) {
      const current = next[field.key];
      if (isNested(current)) siblings[field.key] = current.value;
      else if (!field.jsonWhen) {
        try {
          siblings[field.key] = parse(field, current);
        } catch {
          // reported below
        }
      }
    }
    for (const field of shown) {
      const current = next[field.key];
      if (isNested(current)) {
        if (current.value !== undefined) values[field.key] = current.value;
        for (const [path, message] of Object.entries(current.problems)) problems[`${field.key}.${path}`] = message;
        continue;
      }
      try {
        const value = parse(field, current, siblings);
        if (value !== undefined) values[field.key] = value;
      } catch (exc) {
        problems[field.key] = exc instanceof ParseError ? exc.message : String(exc);
      }
    }
    setInvalid(problems);
    onChange(values, problems);
  };

  return (
    <fieldset class="schema-form" disabled={disabled}>
      {fields
        .filter((f) => !hidden.includes(f.key))
        .map((field) => {
          const id = `${idPrefix}-${field.key}`;
          const current = texts[field.key];
          if (isNested(current)) {
            const Nested = field.widget === "objects" ? ObjectsWidget : ObjectWidget;
            return (
              <div key={field.key} class={`field wide ${field.widget}`}>
                <Nested field={field} id={id} value={current.value} errors={under(errors, field.key)}
                  disabled={disabled}
                  onChange={(value, problems) => update(field.key, { nested: true, value, problems })} />
                {errors[field.key] && <small class="field-error" role="alert">{errors[field.key]}</small>}
              </div>
            );
          }
          // An API error on a part of this value (``email.0``) shows under the field too.
          const message =
            invalid[field.key] ?? errors[field.key] ?? Object.values(under(errors, field.key))[0];
          const wide = ["textarea", "lines", "json", "multiselect"].includes(field.widget);
          const label = (
            <label for={id}>
              {field.label}
              {field.required && !field.nullable && <span class="required" aria-hidden="true"> *</span>}
            </label>
          );
          const widget = (
            <Widget field={field} id={id} text={current as string | boolean | string[]} keepSecrets={keepSecrets}
              setText={(value) => update(field.key, value)} />
          );
          return (
            <div key={field.key} class={`field ${wide ? "wide" : ""} ${field.widget}`}>
              {field.widget === "checkbox" ? (
                <div class="check-line">{widget}{label}</div>
              ) : (
                <>{label}{widget}</>
              )}
              {field.help && <small class="help">{field.help}</small>}
              {message && <small class="field-error" role="alert">{message}</small>}
            </div>
          );
        })}
    </fieldset>
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
