// What the network views read: /api/v1/network/{geo,topology} and /api/v1/ui/settings,
// plus the colours every view gives a platform or vendor (one legend across map, globe and
// topology).
import { api } from "../api";

export interface ViewDevice {
  id: number;
  name: string;
  host: string;
  port: number;
  platform: string;
  vendor: string;
  model: string;
  site: string;
  lat: number | null;
  lon: number | null;
}

export interface ViewLink {
  id: number;
  name: string;
  source: number;
  target: number;
  source_interface: string;
  target_interface: string;
}

export interface GeoView {
  devices: (ViewDevice & { lat: number; lon: number })[];
  links: ViewLink[];
  unlocated: number;
}

export interface TopologyView {
  nodes: ViewDevice[];
  edges: ViewLink[];
  sites: string[];
  pools: string[];
  /** Devices without links left out (no filter, not asked for). */
  unlinked: number;
}

export interface UiSettings {
  map_tile_url: string;
  map_tile_attribution: string;
}

export interface Selection {
  site?: string;
  pool?: string;
  /** The topology: also the devices without links. */
  unlinked?: boolean;
}

function query(selection: Selection): string {
  const params = new URLSearchParams();
  if (selection.site) params.set("site", selection.site);
  if (selection.pool) params.set("pool", selection.pool);
  if (selection.unlinked) params.set("unlinked", "true");
  const text = params.toString();
  return text ? `?${text}` : "";
}

export const loadGeo = (selection: Selection = {}) =>
  api<GeoView>(`/api/v1/network/geo${query(selection)}`);
export const loadTopology = (selection: Selection = {}) =>
  api<TopologyView>(`/api/v1/network/topology${query(selection)}`);
export const loadUiSettings = () => api<UiSettings>("/api/v1/ui/settings");

// The lab's four platforms (and their vendors) get fixed colours; other values get distinct
// spare ones in order, so one legend never shows two look-alike colours.
const KNOWN: Record<string, string> = {
  cisco_ios: "#2457d6",
  arista_eos: "#e07b28",
  juniper_junos: "#2e9d57",
  linux: "#7b4fd0",
  Cisco: "#2457d6",
  Arista: "#e07b28",
  Juniper: "#2e9d57",
  Debian: "#7b4fd0",
};
const SPARE = [
  "#d0453a",
  "#1a9fa8",
  "#c2418f",
  "#b08d00",
  "#546178",
  "#5b8def",
  "#8c5a2b",
  "#3cb371",
  "#f28e2b",
  "#9c6ade",
  "#17becf",
  "#e377c2",
];

export type ColorOf = (value: string) => string;

/** Colours for these values: the known ones fixed, the others spare colours in order. */
export function palette(values: string[]): ColorOf {
  const assigned = new Map<string, string>();
  let next = 0;
  for (const value of [...new Set(values)].sort()) {
    if (KNOWN[value]) continue;
    assigned.set(value, SPARE[next % SPARE.length]);
    next += 1;
  }
  return (value) => KNOWN[value] ?? assigned.get(value) ?? SPARE[SPARE.length - 1];
}

/** Values and how many devices have each, most frequent first. */
export function tally<T>(items: T[], key: (item: T) => string): [string, number][] {
  const counts = new Map<string, number>();
  for (const item of items) {
    const value = key(item) || "(none)";
    counts.set(value, (counts.get(value) ?? 0) + 1);
  }
  return [...counts.entries()].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
}

export const deviceHref = (id: number) => `#/devices/${id}`;
export const terminalHref = (id: number) => `#/devices/${id}/terminal`;

/** Escapes text for the few places a library takes an HTML string (globe tooltips). */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
