/// <reference types="vite/client" />
// The world's countries from the world-atlas package (Natural Earth, TopoJSON), shipped as
// build assets and fetched from this server: the map's offline base layer and the globe's
// land need no network beyond NetWeave itself.
import type { Feature, FeatureCollection, Geometry, Position } from "geojson";
import { feature } from "topojson-client";
import type { GeometryCollection, Topology } from "topojson-specification";
import detailedUrl from "world-atlas/countries-50m.json?url";
import coarseUrl from "world-atlas/countries-110m.json?url";

export type Countries = Feature<Geometry, { name: string }>[];

const cache = new Map<string, Promise<Countries>>();

async function fetchCountries(url: string): Promise<Countries> {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`countries: ${response.status} ${response.statusText}`);
  const topology = (await response.json()) as Topology<{ countries: GeometryCollection<{ name: string }> }>;
  const collection = feature(topology, topology.objects.countries) as FeatureCollection<
    Geometry,
    { name: string }
  >;
  return collection.features;
}

/** 1:50m outlines for the 2D map, 1:110m for the globe (lighter to triangulate). */
export function loadCountries(detail: "detailed" | "coarse"): Promise<Countries> {
  const url = detail === "detailed" ? detailedUrl : coarseUrl;
  let found = cache.get(url);
  if (!found) {
    found = fetchCountries(url);
    found.catch(() => cache.delete(url));
    cache.set(url, found);
  }
  return found;
}

/** A ring drawn on a flat map: one that crosses the antimeridian (Fiji, Russia) is made
 * continuous instead of spanning the whole world; one that goes round a pole (Antarctica)
 * is closed through that pole. */
function flatRing(ring: Position[]): Position[] {
  const jumps = ring.filter((p, i) => i > 0 && Math.abs(p[0] - ring[i - 1][0]) > 180).length;
  if (!jumps) return ring;
  const found: Position[] = [ring[0]];
  let offset = 0;
  for (let i = 1; i < ring.length; i++) {
    const [lon, lat] = ring[i];
    const previous = ring[i - 1];
    if (Math.abs(lon - previous[0]) > 180) {
      if (jumps % 2 === 1) {
        const pole = lat < 0 ? -90 : 90;
        found.push([previous[0] + offset, pole], [lon + offset, pole]);
      } else {
        offset += previous[0] > lon ? 360 : -360;
      }
    }
    found.push([lon + offset, lat]);
  }
  return found;
}

export function flatCountries(countries: Countries): Countries {
  return countries.map((country) => {
    const geometry = country.geometry;
    if (geometry.type === "Polygon") {
      return { ...country, geometry: { ...geometry, coordinates: geometry.coordinates.map(flatRing) } };
    }
    if (geometry.type === "MultiPolygon") {
      const coordinates = geometry.coordinates.map((polygon) => polygon.map(flatRing));
      return { ...country, geometry: { ...geometry, coordinates } };
    }
    return country;
  });
}
