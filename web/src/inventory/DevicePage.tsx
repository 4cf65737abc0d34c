// One device: its properties, configuration history (git commits) with side-by-side diffs,
// blame of its configuration, its operational data (show outputs), the runs that touched it,
// running a service on it, and its SSH terminal.
import { useEffect, useState } from "preact/hooks";
import { api, type Device } from "../api";
import { RunPanel } from "../automation/RunPanel";
import { ResourceDialog } from "../forms/ResourceDialog";
import { LazyTerminal } from "../terminal/lazy";
import { canEdit, useUser } from "../session";
import { DataTable, type TableSpec } from "../table";
import { go } from "../router";
import { BlameView } from "./BlameView";
import { ConfigHistory } from "./ConfigHistory";
import { OperationalData } from "./OperationalData";
import { RunWorkflow } from "./RunWorkflow";

type Tab = "properties" | "configuration" | "blame" | "operational" | "runs" | "run" | "terminal";
// Each tab has its own address (#/devices/5/configs): reload and back keep it. The terminal
// tab is "console": #/devices/5/terminal is the full-page terminal.
export const DEVICE_TABS: [Tab, string, string][] = [
  ["properties", "properties", "Properties"],
  ["configuration", "configs", "Configuration"],
  ["blame", "blame", "Blame"],
  ["operational", "operational", "Operational data"],
  ["runs", "runs", "Runs"],
  ["run", "run", "Run a service or workflow"],
  ["terminal", "console", "Terminal"],
];
const EDITORS_ONLY: Tab[] = ["run", "terminal"];

type Row = Record<string, unknown> & { id?: string };

function runsOf(device: string): TableSpec<Row> {
  return {
    title: "Runs",
    endpoint: "/api/v1/runs",
    params: { device },
    paged: true,
    columns: [
      { key: "name", title: "Service / workflow", render: (r) => <a href={`#/runs/${r.id}`}>{String(r.name)}</a> },
      { key: "status", title: "Status", render: (r) => <span class={`badge ${r.status}`}>{String(r.status)}</span> },
      { key: "trigger", title: "Trigger" },
      { key: "creator", title: "By" },
      { key: "started_at", title: "Started", render: (r) => (r.started_at ? new Date(String(r.started_at)).toLocaleString() : "") },
    ],
  };
}

function Properties({ device }: { device: Device }) {
  const items: [string, string][] = [
    ["Address", `${device.host}:${device.port}`],
    ["Platform", device.platform],
    ["Driver", device.driver],
    ["Vendor", device.vendor],
    ["Model", device.model],
    ["OS version", device.os_version],
    ["Site", device.site],
    ["Location", device.latitude !== null && device.longitude !== null ? `${device.latitude}, ${device.longitude}` : ""],
    ["Credential", device.credential ?? ""],
    ["Tags", device.tags.join(", ")],
    ...Object.entries(device.custom_fields).map(([k, v]): [string, string] => [k, String(v)]),
    ["Created", new Date(device.created_at).toLocaleString()],
    ["Updated", new Date(device.updated_at).toLocaleString()],
  ];
  return (
    <dl class="properties card" aria-label="Properties">
      {items.map(([label, value]) => (
        <div key={label}>
          <dt>{label}</dt>
          <dd>{value || <span class="empty">—</span>}</dd>
        </div>
      ))}
    </dl>
  );
}

export function DevicePage({ id, slug }: { id: number; slug?: string }) {
  const user = useUser();
  const [device, setDevice] = useState<Device | null>(null);
  const named = DEVICE_TABS.find(([, s]) => s === slug)?.[0] ?? "properties";
  // a viewer sent to an editors' tab (a shared link) sees the properties
  const tab: Tab = EDITORS_ONLY.includes(named) && !canEdit(user) ? "properties" : named;
  const setTab = (next: Tab) => {
    const found = DEVICE_TABS.find(([name]) => name === next);
    go(next === "properties" ? `devices/${id}` : `devices/${id}/${found?.[1] ?? next}`);
  };
  const [editing, setEditing] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const load = () => api<Device>(`/api/v1/devices/${id}`).then(setDevice, (exc: Error) => setError(exc.message));
  useEffect(() => {
    void load();
  }, [id]);
  if (error) return <section><p class="error" role="alert">{error}</p></section>;
  if (!device) return null;
  return (
    <section aria-label={`Device ${device.name}`}>
      <div class="toolbar">
        <h2>
          {device.name} <small>{device.platform}{device.site ? ` · ${device.site}` : ""}</small>
        </h2>
        <a class="button-link" href="#/devices">All devices</a>
        {canEdit(user) && (
          <>
            <a class="button-link primary" href={`#/devices/${device.id}/terminal`}>SSH terminal</a>
            <button onClick={() => setEditing(true)}>Edit</button>
          </>
        )}
      </div>
      <nav class="tabs" role="tablist" aria-label="Device views">
        {DEVICE_TABS.filter(([name]) => canEdit(user) || !EDITORS_ONLY.includes(name)).map(([name, , title]) => (
          <button key={name} role="tab" aria-selected={tab === name} class={tab === name ? "active" : ""}
            onClick={() => setTab(name)}>
            {title}
          </button>
        ))}
      </nav>
      <div role="tabpanel">
        {tab === "properties" && <Properties device={device} />}
        {tab === "configuration" && <ConfigHistory deviceId={device.id} deviceName={device.name} />}
        {tab === "blame" && <BlameView deviceId={device.id} />}
        {tab === "operational" && <OperationalData deviceId={device.id} />}
        {tab === "runs" && <DataTable key={device.name} spec={runsOf(device.name)} />}
        {tab === "run" && (
          <div class="run-on-device">
            <RunPanel device={device.name} />
            <RunWorkflow device={device.name} />
          </div>
        )}
        {tab === "terminal" && <LazyTerminal deviceId={device.id} height="55vh" />}
      </div>
      {editing && (
        <ResourceDialog
          resource={{ schema: "DeviceCreate", noun: "device", hidden: ["custom_fields"] }}
          endpoint="/api/v1/devices"
          row={device as unknown as Record<string, unknown>}
          onSaved={() => {
            setEditing(false);
            void load();
          }}
          onClose={() => setEditing(false)}
        />
      )}
    </section>
  );
}
