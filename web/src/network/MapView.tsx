// The 2D map: the configured tile layer, or (offline, or when its tiles do not load) the
// world's countries shipped with the UI; devices as clustered markers, links as lines.
import L from "leaflet";
import "leaflet.markercluster"; // a plugin of the global L that leaflet itself sets
import "leaflet/dist/leaflet.css";
import "leaflet.markercluster/dist/MarkerCluster.css";
import "leaflet.markercluster/dist/MarkerCluster.Default.css";
import { render } from "preact";
import { useEffect, useMemo, useRef, useState } from "preact/hooks";
import { ApiError } from "../api";
import { flatCountries, loadCountries } from "./countries";
import {
  escapeHtml,
  loadGeo,
  loadUiSettings,
  palette,
  tally,
  type ColorOf,
  type GeoView,
  type UiSettings,
  type ViewDevice,
  type ViewLink,
} from "./data";
import { DeviceCard, FindDevice, Legend } from "./DeviceCard";
import "./network.css";

const OFFLINE_NAME = "Offline map (built in)";
const OFFLINE_KEY = "netweave.map.tilesUnreachable";
const REMEMBER_MS = 30 * 60 * 1000; // unreachable tiles are not tried again for this long
const PROBE_MS = 8000;

/** Tiles found unreachable lately (in any tab): {url, at} in localStorage. */
function unreachableLately(url: string): boolean {
  try {
    const seen = JSON.parse(window.localStorage.getItem(OFFLINE_KEY) ?? "null") as { url?: string; at?: number } | null;
    return !!seen && seen.url === url && typeof seen.at === "number" && Date.now() - seen.at < REMEMBER_MS;
  } catch {
    return false;
  }
}

function rememberUnreachable(url: string | null): void {
  if (url === null) window.localStorage.removeItem(OFFLINE_KEY);
  else window.localStorage.setItem(OFFLINE_KEY, JSON.stringify({ url, at: Date.now() }));
}

/** One tile (the whole world at zoom 0) before the map asks for dozens: offline, that is
 * the only request made. Resolves true when it loads (or the URL cannot be probed). */
function probeTiles(url: string): Promise<boolean> {
  let first: string;
  try {
    first = L.Util.template(url, { s: "a", z: 0, x: 0, y: 0, r: "" });
  } catch {
    return Promise.resolve(true); // a template with keys of its own: let Leaflet try
  }
  return new Promise((resolve) => {
    const image = new Image();
    const timer = window.setTimeout(() => done(false), PROBE_MS);
    function done(ok: boolean) {
      window.clearTimeout(timer);
      image.onload = image.onerror = null;
      if (!ok) image.src = "";
      resolve(ok);
    }
    image.onload = () => done(true);
    image.onerror = () => done(false);
    image.src = first;
  });
}
type Located = GeoView["devices"][number];

function tilesName(url: string): string {
  try {
    return `Map tiles (${new URL(url.replace(/[{}]/g, ""), window.location.href).host})`;
  } catch {
    return "Map tiles";
  }
}

/** A link as one or two segments: one crossing the antimeridian is cut at the map's edge
 * rather than drawn the long way round the world. */
function linkPath(a: Located, b: Located): L.LatLngExpression[][] {
  const delta = b.lon - a.lon;
  if (Math.abs(delta) <= 180) return [[[a.lat, a.lon], [b.lat, b.lon]]];
  const edge = a.lon > 0 ? 180 : -180;
  const shifted = b.lon + (a.lon > 0 ? 360 : -360);
  const lat = a.lat + ((b.lat - a.lat) * (edge - a.lon)) / (shifted - a.lon);
  return [
    [[a.lat, a.lon], [lat, edge]],
    [[lat, -edge], [b.lat, b.lon]],
  ];
}

function Neighbours({ device, links, byId }: { device: ViewDevice; links: ViewLink[]; byId: Map<number, Located> }) {
  const mine = links.filter((l) => l.source === device.id || l.target === device.id);
  if (!mine.length) return null;
  return (
    <div class="nw-neighbours">
      <strong>Links ({mine.length})</strong>
      <ul>
        {mine.slice(0, 6).map((l) => {
          const out = l.source === device.id;
          const peer = byId.get(out ? l.target : l.source);
          const local = out ? l.source_interface : l.target_interface;
          const remote = out ? l.target_interface : l.source_interface;
          return (
            <li key={l.id}>
              {local || "?"} → {peer?.name ?? "?"} {remote}
            </li>
          );
        })}
        {mine.length > 6 && <li>… {mine.length - 6} more</li>}
      </ul>
    </div>
  );
}

function buildMap(
  element: HTMLElement,
  geo: GeoView,
  settings: UiSettings,
  color: ColorOf,
  onOffline: (reason: string | null) => void,
): { map: L.Map; focus: (device: ViewDevice) => void } {
  const map = L.map(element, { minZoom: 2, maxZoom: 18, worldCopyJump: false, zoomSnap: 0.5 });
  map.attributionControl.setPrefix(false);
  // the countries lie where tiles would (below the links and markers), in their own pane
  map.createPane("nw-countries").style.zIndex = "250";
  const offline = L.geoJSON(undefined, {
    pane: "nw-countries",
    interactive: false,
    style: { color: "#9aa7bb", weight: 0.8, fillColor: "#fbfaf6", fillOpacity: 1 },
    attribution: "Natural Earth (world-atlas)",
  });
  loadCountries("detailed").then(
    (countries) =>
      offline.addData({ type: "FeatureCollection", features: flatCountries(countries) } as GeoJSON.FeatureCollection),
    () => onOffline("the built-in country outlines did not load"),
  );
  const bases: Record<string, L.Layer> = {};
  let tiles: L.TileLayer | null = null;
  if (settings.map_tile_url) {
    tiles = L.tileLayer(settings.map_tile_url, {
      attribution: settings.map_tile_attribution,
      maxZoom: 19,
    });
    bases[tilesName(settings.map_tile_url)] = tiles;
  }
  bases[OFFLINE_NAME] = offline;
  const tileUrl = settings.map_tile_url;
  const remembered = !!tiles && unreachableLately(tileUrl);
  const goOffline = (reason: string) => {
    if (tiles && map.hasLayer(tiles)) map.removeLayer(tiles);
    if (!map.hasLayer(offline)) offline.addTo(map);
    onOffline(reason);
  };
  if (!tiles) offline.addTo(map);
  else if (remembered) goOffline("the map tiles did not load a moment ago (tried again after 30 minutes)");
  else if (navigator.onLine === false) goOffline("this browser is offline");
  else {
    // the built-in map until one tile shows the server answers: no storm of failed tiles
    offline.addTo(map);
    const candidate = tiles;
    void probeTiles(tileUrl).then((ok) => {
      if (!map.getContainer().isConnected || !map.hasLayer(offline)) return; // gone, or chosen
      if (ok) {
        map.removeLayer(offline);
        candidate.addTo(map);
      } else {
        rememberUnreachable(tileUrl);
        goOffline("the map tiles could not be loaded");
      }
    });
  }

  if (tiles) {
    const active = tiles;
    let loaded = 0;
    let failed = 0;
    active.on("tileload", () => {
      loaded += 1;
    });
    active.on("tileerror", () => {
      failed += 1;
      if (loaded === 0 && failed >= 2 && map.hasLayer(active)) {
        rememberUnreachable(tileUrl);
        goOffline("the map tiles could not be loaded");
      }
    });
    map.on("baselayerchange", (event: L.LayersControlEvent) => {
      const isOffline = event.layer === offline;
      element.classList.toggle("nw-offline", isOffline);
      if (!isOffline) {
        // the user asked for the tiles again: give them a fresh chance
        rememberUnreachable(null);
        loaded = 0;
        failed = 0;
        onOffline(null);
      }
    });
  }
  map.on("layeradd", (event) => {
    if (event.layer === offline) element.classList.add("nw-offline");
    if (event.layer === tiles) element.classList.remove("nw-offline");
  });

  const byId = new Map(geo.devices.map((d) => [d.id, d]));
  const clusters = L.markerClusterGroup({
    chunkedLoading: true,
    showCoverageOnHover: false,
    maxClusterRadius: 48,
    spiderfyOnMaxZoom: true,
    iconCreateFunction: (cluster) => {
      const count = cluster.getChildCount();
      const size = count < 10 ? 34 : count < 100 ? 40 : 48;
      return L.divIcon({
        html: `<div><span>${count}</span></div>`,
        className: "marker-cluster nw-cluster",
        iconSize: L.point(size, size),
      });
    },
  });
  const markers = new Map<number, L.Marker>();
  for (const device of geo.devices) {
    const marker = L.marker([device.lat, device.lon], {
      icon: L.divIcon({
        className: "nw-marker",
        html: `<span style="background:${color(device.platform)}"></span>`,
        iconSize: [18, 18],
        iconAnchor: [9, 9],
        popupAnchor: [0, -8],
      }),
      title: device.name,
      alt: device.name,
      keyboard: true,
    });
    marker.bindPopup(
      () => {
        const box = document.createElement("div");
        render(
          <DeviceCard
            device={device}
            color={color(device.platform)}
            extra={<Neighbours device={device} links={geo.links} byId={byId} />}
          />,
          box,
        );
        return box;
      },
      { minWidth: 250, maxWidth: 320, className: "nw-popup" },
    );
    markers.set(device.id, marker);
  }
  clusters.addLayers([...markers.values()]);

  const lines = L.layerGroup();
  const renderer = L.canvas({ padding: 0.5 });
  for (const link of geo.links) {
    const a = byId.get(link.source);
    const b = byId.get(link.target);
    if (!a || !b) continue;
    L.polyline(linkPath(a, b), { color: "#2457d6", weight: 2, opacity: 0.55, renderer })
      .bindTooltip(
        `${escapeHtml(a.name)} ${escapeHtml(link.source_interface)} ↔ ${escapeHtml(b.name)} ${escapeHtml(link.target_interface)}`,
        { sticky: true },
      )
      .addTo(lines);
  }
  lines.addTo(map);
  clusters.addTo(map);
  L.control.layers(bases, { Devices: clusters, Links: lines }, { collapsed: false, position: "topright" }).addTo(map);
  L.control.scale({ imperial: false, position: "bottomleft" }).addTo(map);

  if (geo.devices.length) {
    map.fitBounds(L.latLngBounds(geo.devices.map((d) => [d.lat, d.lon] as [number, number])), {
      padding: [40, 40],
      maxZoom: 11,
    });
  } else {
    map.setView([25, 10], 2);
  }
  const focus = (device: ViewDevice) => {
    const marker = markers.get(device.id);
    if (marker) clusters.zoomToShowLayer(marker, () => marker.openPopup());
  };
  return { map, focus };
}

export default function MapView() {
  const [geo, setGeo] = useState<GeoView | null>(null);
  const [settings, setSettings] = useState<UiSettings | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [offline, setOffline] = useState<string | null>(null);
  const holder = useRef<HTMLDivElement>(null);
  const focusRef = useRef<((device: ViewDevice) => void) | null>(null);
  const color = useMemo(() => palette((geo?.devices ?? []).map((d) => d.platform)), [geo]);

  useEffect(() => {
    Promise.all([loadGeo(), loadUiSettings()]).then(
      ([found, config]) => {
        setGeo(found);
        setSettings(config);
      },
      (exc) => setError(exc instanceof ApiError ? exc.message : String(exc)),
    );
  }, []);

  useEffect(() => {
    if (!geo || !settings || !holder.current) return;
    const { map, focus } = buildMap(holder.current, geo, settings, color, setOffline);
    focusRef.current = focus;
    const watcher = new ResizeObserver(() => map.invalidateSize());
    watcher.observe(holder.current);
    return () => {
      watcher.disconnect();
      map.remove();
      focusRef.current = null;
    };
  }, [geo, settings, color]);

  return (
    <section class="nw-page" aria-label="Network map">
      <div class="toolbar nw-toolbar">
        <h2>
          Map{" "}
          {geo && (
            <small aria-label="Map summary">
              {geo.devices.length} devices · {geo.links.length} links
              {geo.unlocated > 0 && ` · ${geo.unlocated} without coordinates`}
            </small>
          )}
        </h2>
        {geo && <FindDevice id="map" devices={geo.devices} onFind={(d) => focusRef.current?.(d)} />}
      </div>
      {error && <p class="error" role="alert">{error}</p>}
      {offline && (
        <p class="notice nw-notice" role="status">
          Offline map: {offline}, so the built-in world map is shown. Pick the tiles in the
          layer list to try again.
        </p>
      )}
      <div class="nw-stage">
        <div ref={holder} class="nw-map" aria-label="Map of devices" role="region" />
        {geo && geo.devices.length === 0 && (
          <p class="nw-empty">
            No device has coordinates yet. Set a latitude and longitude on devices to place them
            here{geo.unlocated ? ` (${geo.unlocated} devices without)` : ""}.
          </p>
        )}
        {geo && geo.devices.length > 0 && (
          <div class="nw-overlay bottom-right">
            <Legend label="Platforms" entries={tally(geo.devices, (d) => d.platform)} color={color} />
          </div>
        )}
      </div>
    </section>
  );
}
