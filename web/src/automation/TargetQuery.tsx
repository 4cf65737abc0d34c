// Targets of any kind: devices, pools and an inventory query (the API's TargetSpec). Stored
// defaults may hold only some of them ({pools: [...]}): normalTargets fills in the rest.
import { useState } from "preact/hooks";
import type { Targets } from "./TargetPicker";

export type Query = Record<string, unknown>;

/** The query fields offered (DeviceFilter: exact values, or globs with * and ?). */
const FIELDS: { key: string; label: string; hint: string }[] = [
  { key: "name", label: "Name", hint: "core-* (glob)" },
  { key: "platform", label: "Platform", hint: "cisco_ios" },
  { key: "site", label: "Site", hint: "paris" },
  { key: "tags", label: "Tags", hint: "lab, edge (all of them)" },
  { key: "q", label: "Text", hint: "searches name, host, site, vendor, model" },
];

/** Any stored or partial target spec as a full one (missing kinds empty). */
export function normalTargets(value: Partial<Targets> | null | undefined): Targets {
  const query = value?.query && Object.keys(cleanQuery(value.query)).length ? cleanQuery(value.query) : null;
  return { devices: [...(value?.devices ?? [])], pools: [...(value?.pools ?? [])], query };
}

function cleanQuery(query: Query): Query {
  return Object.fromEntries(
    Object.entries(query).filter(([, v]) => v !== null && v !== undefined && v !== "" && !(Array.isArray(v) && !v.length)),
  );
}

export function describeQuery(query: Query | null | undefined): string {
  if (!query) return "";
  return Object.entries(cleanQuery(query))
    .map(([k, v]) => `${k}=${Array.isArray(v) ? v.join(",") : String(v)}`)
    .join(", ");
}

/** "devices r1, r2; pools lab; query platform=cisco_ios" */
export function describeTargets(value: Partial<Targets> | null | undefined): string {
  const t = normalTargets(value);
  const parts = [
    t.devices.length && `device${t.devices.length > 1 ? "s" : ""} ${t.devices.join(", ")}`,
    t.pools.length && `pool${t.pools.length > 1 ? "s" : ""} ${t.pools.join(", ")}`,
    t.query && `query ${describeQuery(t.query)}`,
  ].filter(Boolean);
  return parts.join("; ");
}

/** An inventory query to edit (all given fields must match). */
export function QueryFields({ value, onChange, idPrefix }: {
  value: Query | null | undefined;
  onChange: (query: Query | null) => void;
  idPrefix: string;
}) {
  const shown = (key: string) => {
    const v = (value ?? {})[key];
    return Array.isArray(v) ? v.join(", ") : v == null ? "" : String(v);
  };
  // the texts as typed ("lab, " stays while typing the next tag); the query follows them
  const [texts, setTexts] = useState<Record<string, string>>(() =>
    Object.fromEntries(FIELDS.map((f) => [f.key, shown(f.key)])),
  );
  const set = (key: string, text: string) => {
    const nextTexts = { ...texts, [key]: text };
    setTexts(nextTexts);
    const next: Query = { ...(value ?? {}) }; // fields not offered here (host, vendor...) stay
    for (const [k, t] of Object.entries(nextTexts)) {
      if (k === "tags") next.tags = t.split(",").map((tag) => tag.trim()).filter(Boolean);
      else next[k] = t.trim() || null;
    }
    const cleaned = cleanQuery(next);
    onChange(Object.keys(cleaned).length ? cleaned : null);
  };
  return (
    <fieldset class="target-query" aria-label="Inventory query">
      <legend>Inventory query</legend>
      <p class="meta">Devices matching every field filled in (with * and ? as globs).</p>
      {FIELDS.map((field) => (
        <label key={field.key} for={`${idPrefix}-q-${field.key}`}>
          {field.label}
          <input id={`${idPrefix}-q-${field.key}`} placeholder={field.hint} value={texts[field.key]}
            onInput={(e) => set(field.key, (e.target as HTMLInputElement).value)} />
        </label>
      ))}
    </fieldset>
  );
}
