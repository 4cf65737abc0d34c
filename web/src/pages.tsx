import { ServicePage } from "./automation/ServicePage";
import { DevicePage } from "./inventory/DevicePage";
import type { Route, Section } from "./router";
import { EditorsOnly, type TableSpec } from "./table";

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

// Pages beyond the tables: a device, a service (new or existing).
export const ROUTES: Route[] = [
  { path: /^devices\/(\d+)$/, render: ([id]) => <DevicePage key={id} id={Number(id)} /> },
  { path: /^services\/new$/, render: () => <ServicePage key="new" id={null} /> },
  { path: /^services\/(\d+)$/, render: ([id]) => <ServicePage key={id} id={id} /> },
];
