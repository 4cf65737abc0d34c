// The network views: a 2D map (Leaflet), a 3D globe (globe.gl) and the logical topology
// (Cytoscape.js). Each is its own chunk, loaded when first opened, so the rest of the UI does
// not carry three.js and friends.
import type { ComponentType } from "preact";
import { useEffect, useState } from "preact/hooks";
import type { Route } from "../router";

type Loader = () => Promise<{ default: ComponentType }>;

function Lazy({ load, title }: { load: Loader; title: string }) {
  const [Page, setPage] = useState<ComponentType | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    let live = true;
    load().then(
      (module) => live && setPage(() => module.default),
      (exc) => live && setError(String(exc)),
    );
    return () => {
      live = false;
    };
  }, [load]);
  if (error) return <section><p class="error" role="alert">{title}: {error}</p></section>;
  return Page ? <Page /> : <section aria-busy="true"><p class="empty">Loading {title.toLowerCase()}…</p></section>;
}

const MAP: Loader = () => import("./MapView");
const GLOBE: Loader = () => import("./GlobeView");
const TOPOLOGY: Loader = () => import("./TopologyView");

export const ROUTES: Route[] = [
  {
    path: /^map$/,
    render: () => <Lazy key="map" load={MAP} title="Map" />,
    nav: { section: "Network", title: "Map", order: 1 },
  },
  {
    path: /^globe$/,
    render: () => <Lazy key="globe" load={GLOBE} title="Globe" />,
    nav: { section: "Network", title: "Globe", order: 2 },
  },
  {
    path: /^topology$/,
    render: () => <Lazy key="topology" load={TOPOLOGY} title="Topology" />,
    nav: { section: "Network", title: "Topology", order: 3 },
  },
];
