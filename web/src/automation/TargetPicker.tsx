// Choose targets: devices by name (search as you type, 10,000 devices stay fast because the
// server searches) and pools. The value is the API's TargetSpec.
import { useEffect, useState } from "preact/hooks";
import { api, type Page } from "../api";

export interface Targets {
  devices: string[];
  pools: string[];
  query?: Record<string, unknown> | null;
}

export const NO_TARGETS: Targets = { devices: [], pools: [] };

interface Named {
  id: number;
  name: string;
  platform?: string;
  site?: string;
  device_count?: number;
}

function Chooser({
  label,
  endpoint,
  param,
  chosen,
  onChange,
  describe,
}: {
  label: string;
  endpoint: string;
  param: string;
  chosen: string[];
  onChange: (names: string[]) => void;
  describe: (row: Named) => string;
}) {
  const [text, setText] = useState("");
  const [found, setFound] = useState<Named[]>([]);
  const [total, setTotal] = useState(0);
  useEffect(() => {
    let stale = false;
    const timer = setTimeout(() => {
      const value = param === "name" && text ? `*${text}*` : text;
      const query = text ? `&${param}=${encodeURIComponent(value)}` : "";
      api<Page<Named>>(`${endpoint}?limit=12&sort=name${query}`).then((page) => {
        if (stale) return;
        setFound(page.items);
        setTotal(page.total);
      }, () => undefined);
    }, 150);
    return () => {
      stale = true;
      clearTimeout(timer);
    };
  }, [text]);
  const toggle = (name: string) =>
    onChange(chosen.includes(name) ? chosen.filter((n) => n !== name) : [...chosen, name]);
  return (
    <fieldset class="chooser" aria-label={label}>
      <legend>{label}</legend>
      <div class="chips" aria-label={`Chosen ${label.toLowerCase()}`}>
        {chosen.length === 0 && <span class="empty">none</span>}
        {chosen.map((name) => (
          <button key={name} type="button" class="chip" aria-label={`Remove ${name}`}
            onClick={() => toggle(name)}>
            {name} ✕
          </button>
        ))}
      </div>
      <input type="search" placeholder={`Search ${label.toLowerCase()}`} aria-label={`Search ${label.toLowerCase()}`}
        value={text} onInput={(e) => setText((e.target as HTMLInputElement).value)} />
      <ul class="options">
        {found.map((row) => (
          <li key={row.id}>
            <label class="choice">
              <input type="checkbox" checked={chosen.includes(row.name)} onChange={() => toggle(row.name)} />
              <span>{row.name}</span>
              <small>{describe(row)}</small>
            </label>
          </li>
        ))}
        {found.length === 0 && <li class="more">No {label.toLowerCase()} {text ? "match" : "yet"}.</li>}
        {total > found.length && <li class="more">{total - found.length} more: refine the search</li>}
      </ul>
    </fieldset>
  );
}

export function TargetPicker({
  value,
  onChange,
  stacked = false,
}: {
  value: Targets;
  onChange: (targets: Targets) => void;
  /** One chooser under the other (narrow side panels). */
  stacked?: boolean;
}) {
  return (
    <div class={stacked ? "targets stacked" : "targets"}>
      <Chooser label="Devices" endpoint="/api/v1/devices" param="q" chosen={value.devices}
        describe={(d) => [d.platform, d.site].filter(Boolean).join(" · ")}
        onChange={(devices) => onChange({ ...value, devices })} />
      <Chooser label="Pools" endpoint="/api/v1/pools" param="name" chosen={value.pools}
        describe={(p) => `${p.device_count ?? 0} devices`}
        onChange={(pools) => onChange({ ...value, pools })} />
    </div>
  );
}

export function targetCount(targets: Targets): number {
  return targets.devices.length + targets.pools.length + (targets.query ? 1 : 0);
}
