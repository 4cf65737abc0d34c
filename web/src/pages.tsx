import { ServicePage } from "./automation/ServicePage";
import { automationBulk } from "./bulk/specs";
import { DevicePage, DEVICE_TABS } from "./inventory/DevicePage";
import { elapsed } from "./run";
import type { Route, Section } from "./router";
import { DataTable, EditorsOnly, type TableSpec } from "./table";

type Row = Record<string, unknown> & { id?: number | string };

const when = (key: string) => (row: Row) => {
  const value = row[key];
  return typeof value === "string" ? new Date(value).toLocaleString() : "";
};

const status = (row: Row) => {
  const value = String(row.status ?? "");
  return <span class={`badge ${value}`}>{value}</span>;
};

// Every inventory and automation list, declared once: the UI's navigation and tables.
export const TABLES: Record<string, TableSpec<Row> & { section: Section }> = {
  devices: {
    section: "Inventory",
    title: "Devices",
    endpoint: "/api/v1/devices",
    paged: true,
    sort: true,
    search: "q",
    resource: { schema: "DeviceCreate", noun: "device", hidden: ["custom_fields"] },
    transfer: "devices",
    bulk: {
      editEndpoint: "/api/v1/devices/bulk",
      deleteEndpoint: "/api/v1/devices/bulk-delete",
      run: true,
      fields: [
        { key: "platform", title: "Platform" },
        { key: "site", title: "Site" },
        { key: "credential", title: "Credential", choices: "/api/v1/credentials" },
        { key: "bastion", title: "Bastion", choices: "/api/v1/bastions" },
        { key: "vendor", title: "Vendor" },
        { key: "model", title: "Model" },
        { key: "os_version", title: "OS version" },
        { key: "driver", title: "Driver" },
        { key: "tags", title: "Tags", list: true },
      ],
    },
    columns: [
      {
        key: "name",
        title: "Name",
        sortable: true,
        filter: "name",
        render: (r) => <a href={`#/devices/${r.id}`}>{String(r.name)}</a>,
      },
      {
        key: "host",
        title: "Address",
        sortable: true,
        filter: "host",
        render: (r) => `${r.host}:${r.port}`,
      },
      { key: "platform", title: "Platform", sortable: true, filter: "platform" },
      { key: "vendor", title: "Vendor", sortable: true, filter: "vendor" },
      { key: "model", title: "Model", sortable: true, filter: "model" },
      { key: "site", title: "Site", sortable: true, filter: "site" },
      { key: "tags", title: "Tags", filter: "tags" },
    ],
  },
  links: {
    section: "Inventory",
    title: "Links",
    endpoint: "/api/v1/links",
    paged: true,
    sort: true,
    search: "name",
    resource: { schema: "LinkCreate", noun: "link" },
    transfer: "links",
    bulk: { deleteEndpoint: "/api/v1/links/bulk-delete" },
    columns: [
      { key: "name", title: "Name", sortable: true },
      { key: "source", title: "Source", filter: "device" },
      { key: "source_interface", title: "Interface" },
      { key: "destination", title: "Destination" },
      { key: "destination_interface", title: "Interface" },
    ],
  },
  pools: {
    section: "Inventory",
    title: "Pools",
    endpoint: "/api/v1/pools",
    paged: true,
    sort: true,
    search: "name",
    resource: { schema: "PoolCreate", noun: "pool" },
    transfer: "pools",
    bulk: { deleteEndpoint: "/api/v1/pools/bulk-delete" },
    permissions: "pool",
    columns: [
      { key: "name", title: "Name", sortable: true },
      { key: "device_count", title: "Devices" },
      { key: "description", title: "Description" },
    ],
  },
  credentials: {
    section: "Inventory",
    title: "Credentials",
    endpoint: "/api/v1/credentials",
    resource: { schema: "CredentialCreate", noun: "credential", secrets: true },
    transfer: "credentials",
    bulk: { deleteEndpoint: "/api/v1/credentials/bulk-delete" },
    permissions: "credential",
    columns: [
      { key: "name", title: "Name" },
      { key: "username", title: "User" },
      { key: "has_password", title: "Password", render: (r) => (r.has_password ? "set" : "") },
      { key: "has_ssh_key", title: "SSH key", render: (r) => (r.has_ssh_key ? "set" : "") },
      { key: "has_enable_secret", title: "Enable", render: (r) => (r.has_enable_secret ? "set" : "") },
    ],
  },
  bastions: {
    section: "Inventory",
    title: "Bastions",
    endpoint: "/api/v1/bastions",
    resource: { schema: "BastionCreate", noun: "bastion" },
    bulk: { deleteEndpoint: "/api/v1/bastions/bulk-delete" },
    columns: [
      { key: "name", title: "Name" },
      { key: "host", title: "Address", render: (r) => `${r.host}:${r.port}` },
      { key: "credential", title: "Login" },
      { key: "via", title: "Through" },
      { key: "devices", title: "Devices" },
    ],
  },
  services: {
    section: "Automation",
    title: "Services",
    endpoint: "/api/v1/services",
    paged: true,
    search: "name",
    bulk: automationBulk("service"),
    permissions: "service",
    actions: (
      <EditorsOnly>
        <a class="button-link primary" href="#/services/new">New service</a>
      </EditorsOnly>
    ),
    columns: [
      { key: "name", title: "Name", render: (r) => <a href={`#/services/${r.id}`}>{String(r.name)}</a> },
      { key: "type", title: "Type" },
      { key: "description", title: "Description" },
      { key: "updated_at", title: "Updated", render: when("updated_at") },
    ],
  },
  runs: {
    section: "Automation",
    title: "Runs",
    endpoint: "/api/v1/runs",
    paged: true,
    search: "name",
    columns: [
      {
        key: "name",
        title: "Service / workflow",
        render: (r) => <a href={`#/runs/${r.id}`}>{String(r.name)}</a>,
      },
      {
        key: "status",
        title: "Status",
        render: status,
        filter: "status",
        choices: ["success", "failure", "running", "queued", "stopped", "error", "interrupted"],
      },
      { key: "trigger", title: "Trigger" },
      { key: "creator", title: "By" },
      { key: "targets", title: "Targets", render: (r) => String((r.targets as unknown[]).length) },
      { key: "started_at", title: "Started", render: when("started_at") },
      { key: "ended_at", title: "Ended", render: when("ended_at") },
      {
        key: "duration",
        title: "Duration",
        render: (r) => elapsed((r.started_at as string | null) ?? null, (r.ended_at as string | null) ?? null),
      },
    ],
  },
  changelog: {
    section: "Events",
    title: "Changelog",
    endpoint: "/api/v1/changelog",
    paged: true,
    search: "name",
    columns: [
      { key: "at", title: "When", render: when("at") },
      { key: "actor", title: "Who", filter: "actor" },
      { key: "action", title: "Action", filter: "action", choices: ["create", "update", "delete"] },
      { key: "object_type", title: "What", filter: "object_type" },
      { key: "object_name", title: "Name" },
    ],
  },
};

/** A list narrowed by one field, linked from the dashboard: #/runs/status/failure,
 * #/devices/site/PAR (the filter is shown in the title; the list's own filters still work). */
function narrowed(name: "runs" | "devices", field: string, raw: string) {
  const value = decodeURIComponent(raw);
  const spec = TABLES[name];
  return (
    <DataTable
      key={`${name}-${field}-${value}`}
      spec={{ ...spec, title: `${spec.title} · ${field} ${value}`, params: { [field]: value } }}
    />
  );
}

const DEVICE_TAB = new RegExp(`^devices\\/(\\d+)\\/(${DEVICE_TABS.map(([, slug]) => slug).join("|")})$`);

// Pages beyond the tables: a device (and its tab), a service (new or existing), narrowed lists.
export const ROUTES: Route[] = [
  { path: /^devices\/(\d+)$/, render: ([id]) => <DevicePage key={id} id={Number(id)} /> },
  { path: DEVICE_TAB, render: ([id, tab]) => <DevicePage key={id} id={Number(id)} slug={tab} /> },
  { path: /^runs\/status\/(\w+)$/, render: ([value]) => narrowed("runs", "status", value) },
  {
    path: /^devices\/(platform|vendor|site)\/(.+)$/,
    render: ([field, value]) => narrowed("devices", field, value),
  },
  { path: /^services\/new$/, render: () => <ServicePage key="new" id={null} /> },
  { path: /^services\/(\d+)$/, render: ([id]) => <ServicePage key={id} id={id} /> },
];
