// The 3D globe (globe.gl on three.js): a plain ocean-coloured sphere with the world-atlas
// countries as polygons (no texture, nothing fetched from elsewhere), devices as points and
// links as arcs. Clicking a point opens the same device card as the map.
import Globe, { type GlobeInstance } from "globe.gl";
import { useEffect, useMemo, useRef, useState } from "preact/hooks";
import { Color, MeshPhongMaterial } from "three";
import { ApiError } from "../api";
import { loadCountries } from "./countries";
import { escapeHtml, loadGeo, palette, tally, type ColorOf, type GeoView } from "./data";
import { DeviceCard, FindDevice, Legend } from "./DeviceCard";
import "./network.css";

type Located = GeoView["devices"][number];

/** Devices close enough to cover each other (same site, same building) drawn as one point
 * with their count; clicking it lists them all. */
interface Place {
  lat: number;
  lon: number;
  devices: Located[];
}

const PLACE_DEGREES = 0.5; // about a point's width on the globe

function places(devices: Located[]): Place[] {
  const cells = new Map<string, Located[]>();
  for (const d of devices) {
    const key = `${Math.round(d.lat / PLACE_DEGREES)}:${Math.round(d.lon / PLACE_DEGREES)}`;
    const cell = cells.get(key);
    if (cell) cell.push(d);
    else cells.set(key, [d]);
  }
  return [...cells.values()].map((members) => ({
    lat: members.reduce((sum, d) => sum + d.lat, 0) / members.length,
    lon: members.reduce((sum, d) => sum + d.lon, 0) / members.length,
    devices: members,
  }));
}

function placeLabel(place: Place): string {
  if (place.devices.length === 1) return pointLabel(place.devices[0]);
  const sites = [...new Set(place.devices.map((d) => d.site).filter(Boolean))];
  const names = place.devices.slice(0, 8).map((d) => escapeHtml(d.name)).join(", ");
  const more = place.devices.length > 8 ? `, … ${place.devices.length - 8} more` : "";
  const where = sites.length ? ` · ${escapeHtml(sites.join(", "))}` : "";
  return `<div class="nw-globe-tip"><b>${place.devices.length} devices</b>${where}<br>${names}${more}</div>`;
}

interface Arc {
  startLat: number;
  startLng: number;
  endLat: number;
  endLng: number;
  label: string;
}

const OCEAN = "#1f4e8c";
const SPACE = "#0f1b36";
const MERGE_POINTS_ABOVE = 3000; // one mesh for many points: fast, but no per-point clicks
const MAX_ARCS = 3000; // each arc is its own mesh: beyond this the globe crawls

/** Where to look first: the circular mean of the devices' longitudes, at a pleasant tilt. */
function initialView(devices: Located[]): { lat: number; lng: number; altitude: number } {
  if (!devices.length) return { lat: 25, lng: 10, altitude: 2.4 };
  let x = 0;
  let y = 0;
  let lat = 0;
  for (const d of devices) {
    x += Math.cos((d.lon * Math.PI) / 180);
    y += Math.sin((d.lon * Math.PI) / 180);
    lat += d.lat;
  }
  const lng = (Math.atan2(y, x) * 180) / Math.PI;
  return { lat: Math.max(-30, Math.min(45, lat / devices.length)), lng, altitude: 2.0 };
}

function pointLabel(device: Located): string {
  const where = device.site ? ` · ${escapeHtml(device.site)}` : "";
  return `<div class="nw-globe-tip"><b>${escapeHtml(device.name)}</b><br>${escapeHtml(device.platform)}${where}</div>`;
}

/** The WebGL renderer's name, or null without WebGL. A software one (a VM without a GPU,
 * headless browsers) gets no antialiasing: it costs more than it shows there. */
function glRenderer(): string | null {
  const gl = document.createElement("canvas").getContext("webgl");
  if (!gl) return null;
  const info = gl.getExtension("WEBGL_debug_renderer_info");
  const name = info ? String(gl.getParameter(info.UNMASKED_RENDERER_WEBGL)) : "WebGL";
  gl.getExtension("WEBGL_lose_context")?.loseContext();
  return name;
}

interface Scene {
  globe: GlobeInstance;
  /** Render again (a pointer moved, the view or the data changed), then sleep when idle. */
  wake: () => void;
  setRotating: (on: boolean) => void;
  dispose: () => void;
}

const IDLE_MS = 2500; // no frames drawn while nobody touches a still globe

function buildGlobe(
  element: HTMLElement,
  geo: GeoView,
  grouped: Place[],
  color: ColorOf,
  onPick: (device: Located, place: Place) => void,
): Scene {
  const renderer = glRenderer();
  if (renderer === null) throw new Error("WebGL is not available in this browser");
  const byId = new Map(geo.devices.map((d) => [d.id, d]));
  const arcs: Arc[] = [];
  for (const link of geo.links.slice(0, MAX_ARCS)) {
    const a = byId.get(link.source);
    const b = byId.get(link.target);
    if (!a || !b) continue;
    arcs.push({
      startLat: a.lat,
      startLng: a.lon,
      endLat: b.lat,
      endLng: b.lon,
      label: `${escapeHtml(a.name)} ${escapeHtml(link.source_interface)} ↔ ${escapeHtml(b.name)} ${escapeHtml(link.target_interface)}`,
    });
  }
  const software = /swiftshader|llvmpipe|software/i.test(renderer);
  const globe = new Globe(element, {
    animateIn: false,
    rendererConfig: { antialias: !software, preserveDrawingBuffer: true },
  });
  globe
    .width(element.clientWidth)
    .height(element.clientHeight)
    .backgroundColor(SPACE)
    .showAtmosphere(true)
    .atmosphereColor("#9cc0ff")
    .atmosphereAltitude(0.16)
    .showGraticules(true)
    .polygonCapColor(() => "#e9eef6")
    .polygonSideColor(() => "rgba(16, 32, 64, 0.25)")
    .polygonStrokeColor(() => "#8d9db8")
    .polygonAltitude(0.005)
    .polygonsTransitionDuration(0)
    .pointsData(grouped)
    .pointLat("lat")
    .pointLng("lon")
    .pointColor((p) => {
      const platforms = new Set((p as Place).devices.map((d) => d.platform));
      return platforms.size === 1 ? color([...platforms][0]) : "#ffffff";
    })
    .pointAltitude((p) => ((p as Place).devices.length > 1 ? 0.04 : 0.025))
    .pointRadius((p) => Math.min(2, 0.8 + 0.25 * Math.sqrt((p as Place).devices.length - 1)))
    .pointResolution(10)
    .pointsMerge(grouped.length > MERGE_POINTS_ABOVE)
    .pointsTransitionDuration(0)
    .pointLabel((p) => placeLabel(p as Place))
    .onPointClick((p) => onPick((p as Place).devices[0], p as Place))
    .labelsData(grouped.filter((p) => p.devices.length > 1))
    .labelLat("lat")
    .labelLng("lon")
    .labelText((p) => String((p as Place).devices.length))
    .labelSize(1.1)
    .labelDotRadius(0)
    .labelAltitude(0.045)
    .labelColor(() => "#0f1b36")
    .labelResolution(2)
    .labelsTransitionDuration(0)
    .labelLabel((p) => placeLabel(p as Place))
    .onLabelClick((p) => onPick((p as Place).devices[0], p as Place))
    .arcsData(arcs)
    .arcColor(() => ["rgba(255, 214, 120, 0.95)", "rgba(255, 140, 66, 0.95)"])
    .arcStroke(0.45)
    .arcAltitudeAutoScale(0.35)
    .arcsTransitionDuration(0)
    .arcLabel((a) => (a as Arc).label)
    .pointOfView(initialView(geo.devices), 0);
  const material = globe.globeMaterial() as MeshPhongMaterial;
  material.color = new Color(OCEAN);
  material.shininess = 8;

  let rotating = false;
  let timer: number | undefined;
  let sleeping = false;
  const wake = () => {
    if (sleeping) {
      globe.resumeAnimation();
      sleeping = false;
    }
    window.clearTimeout(timer);
    timer = window.setTimeout(() => {
      if (rotating) return;
      globe.pauseAnimation();
      sleeping = true;
    }, IDLE_MS);
  };
  const events = ["pointermove", "pointerdown", "wheel", "touchstart", "keydown"] as const;
  for (const name of events) element.addEventListener(name, wake, { passive: true });
  loadCountries("coarse").then(
    (countries) => {
      globe.polygonsData(countries);
      wake();
    },
    () => undefined, // the points and arcs still show on the bare sphere
  );
  wake();
  return {
    globe,
    wake,
    setRotating: (on) => {
      rotating = on;
      const controls = globe.controls();
      controls.autoRotate = on;
      controls.autoRotateSpeed = 0.6;
      wake();
    },
    dispose: () => {
      window.clearTimeout(timer);
      for (const name of events) element.removeEventListener(name, wake);
      const webgl = globe.renderer();
      globe._destructor();
      webgl.dispose();
      webgl.forceContextLoss();
      element.replaceChildren();
    },
  };
}

export default function GlobeView() {
  const [geo, setGeo] = useState<GeoView | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [picked, setPicked] = useState<Located | null>(null);
  const [place, setPlace] = useState<Place | null>(null);
  const [rotate, setRotate] = useState(false);
  const holder = useRef<HTMLDivElement>(null);
  const sceneRef = useRef<Scene | null>(null);
  const color = useMemo(() => palette((geo?.devices ?? []).map((d) => d.platform)), [geo]);
  const grouped = useMemo(() => places(geo?.devices ?? []), [geo]);
  const placeOf = useMemo(() => {
    const found = new Map<number, Place>();
    for (const p of grouped) for (const d of p.devices) found.set(d.id, p);
    return found;
  }, [grouped]);
  const pick = (device: Located | null) => {
    setPicked(device);
    setPlace(device ? (placeOf.get(device.id) ?? null) : null);
  };

  useEffect(() => {
    loadGeo().then(setGeo, (exc) => setError(exc instanceof ApiError ? exc.message : String(exc)));
  }, []);

  useEffect(() => {
    const element = holder.current;
    if (!geo || !element) return;
    let scene: Scene;
    try {
      scene = buildGlobe(element, geo, grouped, color, (device) => pick(device));
    } catch (exc) {
      setError(`This browser cannot draw the 3D globe: ${exc instanceof Error ? exc.message : String(exc)}`);
      return;
    }
    sceneRef.current = scene;
    const watcher = new ResizeObserver(() => {
      scene.globe.width(element.clientWidth).height(element.clientHeight);
      scene.wake();
    });
    watcher.observe(element);
    return () => {
      watcher.disconnect();
      sceneRef.current = null;
      scene.dispose();
    };
  }, [geo, grouped, color]);

  useEffect(() => sceneRef.current?.setRotating(rotate), [rotate, geo]);

  const focus = (device: Located) => {
    const scene = sceneRef.current;
    if (!scene) return;
    scene.wake();
    scene.globe.pointOfView({ lat: device.lat, lng: device.lon, altitude: 1.1 }, 700);
    setRotate(false);
    pick(device);
  };
  // the devices drawn as the same point first, then the rest of its site
  const here = picked && place ? place.devices.filter((d) => d.id !== picked.id) : [];
  const siblings =
    picked && geo
      ? geo.devices.filter((d) => d.site && d.site === picked.site && d.id !== picked.id && !here.includes(d))
      : [];
  const stacked = grouped.filter((p) => p.devices.length > 1);
  const linkCount = (id: number) => geo?.links.filter((l) => l.source === id || l.target === id).length ?? 0;

  return (
    <section class="nw-page" aria-label="Network globe">
      <div class="toolbar nw-toolbar">
        <h2>Globe</h2>
        <label class="nw-check">
          <input type="checkbox" checked={rotate} onChange={(e) => setRotate((e.target as HTMLInputElement).checked)} />
          Rotate
        </label>
        {geo && <FindDevice id="globe" devices={geo.devices} onFind={focus} />}
      </div>
      {error && <p class="error" role="alert">{error}</p>}
      <div class="nw-stage dark">
        <div ref={holder} class="nw-globe" role="img" aria-label="3D globe of devices and links" />
        {geo && (
          <div class="nw-overlay bottom-left dark" role="group" aria-label="Globe legend">
            <p class="nw-count">
              <strong>{geo.devices.length}</strong> devices on the globe · <strong>{geo.links.length}</strong> links
              {geo.links.length > MAX_ARCS && <span> (the first {MAX_ARCS} drawn)</span>}
              {geo.unlocated > 0 && <span> · {geo.unlocated} without coordinates</span>}
            </p>
            {stacked.length > 0 && (
              <p class="nw-muted" aria-label="Grouped points">
                {stacked.reduce((n, p) => n + p.devices.length, 0)} devices share{" "}
                {stacked.length === 1 ? "a place" : `${stacked.length} places`}: one point each, with
                its count (click it for the list)
              </p>
            )}
            <Legend label="Platforms" entries={tally(geo.devices, (d) => d.platform)} color={color} />
          </div>
        )}
        {geo && grouped.length > MERGE_POINTS_ABOVE && (
          <p class="nw-overlay top-left dark">Many devices: use Find device to open one.</p>
        )}
        {geo && geo.devices.length === 0 && (
          <p class="nw-empty">No device has coordinates yet: set a latitude and longitude on devices.</p>
        )}
        {picked && (
          <aside class="nw-panel" aria-label="Device details">
            <button class="nw-close" onClick={() => pick(null)} aria-label="Close details">
              ×
            </button>
            <DeviceCard
              device={picked}
              color={color(picked.platform)}
              extra={
                <>
                  <p class="nw-muted">{linkCount(picked.id)} links</p>
                  {here.length > 0 && (
                    <div class="nw-siblings" role="group" aria-label="Devices at the same place">
                      <strong>Also here ({here.length})</strong>
                      <ul>
                        {here.map((d) => (
                          <li key={d.id}>
                            <button class="link" onClick={() => pick(d)}>
                              {d.name}
                            </button>
                          </li>
                        ))}
                      </ul>
                    </div>
                  )}
                  {siblings.length > 0 && (
                    <div class="nw-siblings">
                      <strong>Also at {picked.site}</strong>
                      <ul>
                        {siblings.slice(0, 12).map((d) => (
                          <li key={d.id}>
                            <button class="link" onClick={() => pick(d)}>
                              {d.name}
                            </button>
                          </li>
                        ))}
                        {siblings.length > 12 && <li>… {siblings.length - 12} more</li>}
                      </ul>
                    </div>
                  )}
                </>
              }
            />
          </aside>
        )}
      </div>
    </section>
  );
}
