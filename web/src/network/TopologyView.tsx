// The logical topology (Cytoscape.js): devices joined by their links, grouped by site,
// coloured by platform, vendor or site; interface names on the links when zoomed in or
// hovered. Double-click a device for its properties and the ways to its page and terminal.
import cytoscape, { type Core, type ElementDefinition, type StylesheetJson } from "cytoscape";
import { useEffect, useMemo, useRef, useState } from "preact/hooks";
import { api, ApiError, type Device } from "../api";
import {
  loadTopology,
  palette,
  tally,
  type ColorOf,
  type Selection,
  type TopologyView as Topology,
  type ViewDevice,
} from "./data";
import { DeviceActions, Dot, Facts, FindDevice, Legend } from "./DeviceCard";
import { arrange, type LayoutName } from "./layouts";
import "./network.css";

type ColorBy = "platform" | "vendor" | "site";
type ViewLayout = "sites" | LayoutName;

const LAYOUTS: [ViewLayout, string][] = [
  ["sites", "By site"],
  ["cose", "Force-directed"],
  ["concentric", "Concentric"],
  ["breadthfirst", "Tree"],
  ["circle", "Circle"],
  ["grid", "Grid"],
];

type FullDevice = Device;

const STYLE: StylesheetJson = [
  {
    selector: "node",
    style: {
      "background-color": "data(color)",
      label: "data(label)",
      width: 30,
      height: 30,
      "border-width": 3,
      "border-color": "#ffffff",
      "font-size": 12,
      color: "#1d2433",
      "text-valign": "bottom",
      "text-margin-y": 5,
      "text-background-color": "#ffffff",
      "text-background-opacity": 0.85,
      "text-background-padding": "2px",
      "text-background-shape": "roundrectangle",
      "min-zoomed-font-size": 6,
    },
  },
  {
    selector: "node.site",
    style: {
      "background-color": "#eef2fb",
      "background-opacity": 0.7,
      "border-width": 1,
      "border-color": "#c5d0e6",
      shape: "round-rectangle",
      "text-valign": "top",
      "text-margin-y": -4,
      "font-weight": "bold",
      "font-size": 13,
      color: "#5d6679",
      "text-background-opacity": 0,
      padding: "18px",
    },
  },
  {
    selector: "edge",
    style: {
      width: 2,
      "line-color": "#a8b6cf",
      "curve-style": "bezier",
      "source-label": "data(sourceLabel)",
      "target-label": "data(targetLabel)",
      "source-text-offset": 26,
      "target-text-offset": 26,
      "font-size": 8,
      color: "#1d47a8",
      "text-background-color": "#ffffff",
      "text-background-opacity": 0.9,
      "text-background-padding": "1px",
      "min-zoomed-font-size": 10,
    },
  },
  {
    selector: "edge.hover",
    style: { "line-color": "#2457d6", width: 3, "min-zoomed-font-size": 0, "font-size": 10, "z-index": 10 },
  },
  { selector: "node:selected", style: { "border-color": "#152447", "border-width": 4 } },
  { selector: ".faded", style: { opacity: 0.25 } },
];

function elements(topology: Topology, colorBy: ColorBy, color: ColorOf, groupBySite: boolean): ElementDefinition[] {
  const found: ElementDefinition[] = [];
  const sites = new Set(topology.nodes.map((n) => n.site).filter(Boolean));
  const grouped = groupBySite && sites.size > 1;
  if (grouped) {
    for (const site of sites) found.push({ data: { id: `site:${site}`, label: site }, classes: "site" });
  }
  for (const node of topology.nodes) {
    found.push({
      data: {
        id: `d${node.id}`,
        label: node.name,
        color: color(node[colorBy] || "(none)"),
        parent: grouped && node.site ? `site:${node.site}` : undefined,
      },
    });
  }
  for (const edge of topology.edges) {
    found.push({
      data: {
        id: `l${edge.id}`,
        source: `d${edge.source}`,
        target: `d${edge.target}`,
        sourceLabel: edge.source_interface,
        targetLabel: edge.target_interface,
      },
    });
  }
  return found;
}

function DevicePanel({
  device,
  topology,
  color,
  onClose,
}: {
  device: ViewDevice;
  topology: Topology;
  color: string;
  onClose: () => void;
}) {
  const [full, setFull] = useState<FullDevice | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    setFull(null);
    setError(null);
    api<FullDevice>(`/api/v1/devices/${device.id}`).then(setFull, (exc) =>
      setError(exc instanceof ApiError ? exc.message : String(exc)),
    );
  }, [device.id]);
  const names = new Map(topology.nodes.map((n) => [n.id, n.name]));
  const links = topology.edges.filter((e) => e.source === device.id || e.target === device.id);
  const shown = full ?? { ...device, driver: "", os_version: "", latitude: device.lat, longitude: device.lon, tags: [], custom_fields: {}, credential: null };
  return (
    <aside class="nw-panel wide" aria-label="Device properties">
      <button class="nw-close" onClick={onClose} aria-label="Close properties">
        ×
      </button>
      <div class="nw-card">
        <h3>
          <Dot color={color} />
          {device.name}
        </h3>
        {error && <p class="error" role="alert">{error}</p>}
        <Facts
          items={[
            ["Address", `${shown.host}:${shown.port}`],
            ["Platform", shown.platform],
            ["Driver", shown.driver],
            ["Vendor", shown.vendor],
            ["Model", shown.model],
            ["OS version", shown.os_version],
            ["Site", shown.site],
            ["Location", shown.latitude !== null && shown.longitude !== null ? `${shown.latitude}, ${shown.longitude}` : ""],
            ["Credential", shown.credential ?? ""],
            ["Tags", shown.tags.length ? shown.tags.map((t) => <span key={t} class="badge">{t}</span>) : ""],
            ...Object.entries(shown.custom_fields).map(([k, v]): [string, string] => [k, String(v)]),
          ]}
        />
        <div class="nw-neighbours">
          <strong>Links ({links.length})</strong>
          <ul>
            {links.map((l) => {
              const out = l.source === device.id;
              return (
                <li key={l.id}>
                  <code>{(out ? l.source_interface : l.target_interface) || "?"}</code> →{" "}
                  {names.get(out ? l.target : l.source)} <code>{out ? l.target_interface : l.source_interface}</code>
                </li>
              );
            })}
          </ul>
        </div>
        <DeviceActions id={device.id} name={device.name} />
      </div>
    </aside>
  );
}

export default function TopologyView() {
  const [selection, setSelection] = useState<Selection>({});
  const [topology, setTopology] = useState<Topology | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [colorBy, setColorBy] = useState<ColorBy>("platform");
  const [layout, setLayout] = useState<ViewLayout>("sites");
  const [opened, setOpened] = useState<ViewDevice | null>(null);
  const holder = useRef<HTMLDivElement>(null);
  const cyRef = useRef<Core | null>(null);

  useEffect(() => {
    setError(null);
    // only the latest selection's answer is drawn: an earlier, slower answer is dropped
    let current = true;
    loadTopology(selection).then(
      (answer) => current && setTopology(answer),
      (exc) => current && setError(exc instanceof ApiError ? exc.message : String(exc)),
    );
    return () => {
      current = false;
    };
  }, [selection.site, selection.pool, selection.unlinked]);

  const byId = useMemo(() => new Map((topology?.nodes ?? []).map((n) => [n.id, n])), [topology]);
  const legend = useMemo(() => (topology ? tally(topology.nodes, (n) => n[colorBy]) : []), [topology, colorBy]);
  const color = useMemo(() => palette(legend.map(([value]) => value)), [legend]);

  useEffect(() => {
    const element = holder.current;
    if (!topology || !element) return;
    const cy = cytoscape({
      container: element,
      elements: elements(topology, colorBy, color, layout === "sites"),
      style: STYLE,
      layout: { name: "preset" },
      minZoom: 0.05,
      maxZoom: 4,
      textureOnViewport: topology.nodes.length > 2000,
      hideEdgesOnViewport: topology.nodes.length > 2000,
    });
    cyRef.current = cy;
    arrange(cy, layout === "sites" ? "cose" : layout, layout === "sites");
    cy.on("mouseover", "edge", (event) => event.target.addClass("hover"));
    cy.on("mouseout", "edge", (event) => event.target.removeClass("hover"));
    cy.on("mouseover", "node[^parent]", (event) => event.target.connectedEdges().addClass("hover"));
    cy.on("mouseout", "node", (event) => event.target.connectedEdges().removeClass("hover"));
    cy.on("tap", "node", (event) => {
      const node = event.target;
      if (node.hasClass("site")) return;
      cy.elements().addClass("faded");
      node.closedNeighborhood().union(node.ancestors()).union(node.neighborhood().ancestors()).removeClass("faded");
    });
    cy.on("tap", (event) => {
      if (event.target === cy) cy.elements().removeClass("faded");
    });
    cy.on("dbltap", "node", (event) => {
      const id = Number(String(event.target.id()).replace(/^d/, ""));
      const device = byId.get(id);
      if (device) setOpened(device);
    });
    const watcher = new ResizeObserver(() => cy.resize());
    watcher.observe(element);
    return () => {
      watcher.disconnect();
      cyRef.current = null;
      cy.destroy();
    };
  }, [topology, colorBy, color, layout, byId]);

  const find = (device: ViewDevice) => {
    const cy = cyRef.current;
    if (!cy) return;
    const node = cy.getElementById(`d${device.id}`);
    cy.elements().unselect();
    node.select();
    cy.zoom(Math.max(cy.zoom(), 1.2));
    cy.center(node);
  };
  const fit = () => cyRef.current?.fit(undefined, 36);
  const choose = (key: keyof Selection) => (event: Event) => {
    const value = (event.target as HTMLSelectElement).value;
    setOpened(null);
    setSelection((current) => ({ ...current, [key]: value || undefined }));
  };

  return (
    <section class="nw-page" aria-label="Network topology">
      <div class="toolbar nw-toolbar">
        <h2>
          Topology{" "}
          {topology && (
            <small aria-label="Topology summary">
              {topology.nodes.length} devices · {topology.edges.length} links
            </small>
          )}
        </h2>
        {topology && (topology.unlinked > 0 || selection.unlinked) && !selection.site && !selection.pool && (
          <p class="nw-unlinked" aria-label="Devices without links">
            {selection.unlinked
              ? "Devices without links are shown."
              : `${topology.unlinked} device${topology.unlinked === 1 ? "" : "s"} without links not shown.`}{" "}
            <button type="button" class="link" aria-pressed={!!selection.unlinked}
              onClick={() => setSelection((current) => ({ ...current, unlinked: !current.unlinked }))}>
              {selection.unlinked ? "Hide them" : "Show them"}
            </button>
          </p>
        )}
        {topology && <FindDevice id="topology" devices={topology.nodes} onFind={find} />}
      </div>
      <form class="nw-controls" onSubmit={(e) => e.preventDefault()} aria-label="Topology options">
        <label>
          Site
          <select aria-label="Site filter" value={selection.site ?? ""} onChange={choose("site")}>
            <option value="">All sites</option>
            {topology?.sites.map((s) => <option key={s} value={s}>{s}</option>)}
          </select>
        </label>
        <label>
          Pool
          <select aria-label="Pool filter" value={selection.pool ?? ""} onChange={choose("pool")}>
            <option value="">All pools</option>
            {topology?.pools.map((p) => <option key={p} value={p}>{p}</option>)}
          </select>
        </label>
        <label>
          Colour by
          <select aria-label="Colour by" value={colorBy} onChange={(e) => setColorBy((e.target as HTMLSelectElement).value as ColorBy)}>
            <option value="platform">Platform</option>
            <option value="vendor">Vendor</option>
            <option value="site">Site</option>
          </select>
        </label>
        <label>
          Layout
          <select aria-label="Layout" value={layout} onChange={(e) => setLayout((e.target as HTMLSelectElement).value as ViewLayout)}>
            {LAYOUTS.map(([value, title]) => <option key={value} value={value}>{title}</option>)}
          </select>
        </label>
        <button type="button" onClick={fit}>Fit</button>
      </form>
      {error && <p class="error" role="alert">{error}</p>}
      <div class="nw-stage">
        <div ref={holder} class="nw-graph" role="img" aria-label="Topology graph" />
        {topology && topology.nodes.length === 0 && (
          <p class="nw-empty">
            {selection.site || selection.pool
              ? "No device in this selection."
              : "No links yet. Add links between devices (Inventory › Links), or pick a site or pool to see its devices."}
          </p>
        )}
        {topology && topology.nodes.length > 0 && (
          <div class="nw-overlay bottom-left">
            <Legend label={`Colours (${colorBy})`} entries={legend} color={color} />
            <p class="nw-muted">Double-click a device for its properties.</p>
          </div>
        )}
        {opened && topology && (
          <DevicePanel
            device={opened}
            topology={topology}
            color={color(opened[colorBy] || "(none)")}
            onClose={() => setOpened(null)}
          />
        )}
      </div>
    </section>
  );
}
