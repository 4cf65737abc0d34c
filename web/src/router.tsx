// Pages register themselves here: a hash route pattern, what it renders, and (optionally)
// where it appears in the side navigation. Each feature module exports its own list.
import type { ComponentChildren } from "preact";
import type { User } from "./api";

export type Section = "Overview" | "Inventory" | "Network" | "Automation" | "Events" | "Admin";

export interface Route {
  /** Matched against the hash without "#/", e.g. /^devices\/(\d+)$/; groups → params. */
  path: RegExp;
  render: (params: string[], user: User) => ComponentChildren;
  nav?: { section: Section; title: string; href?: string; order?: number };
  /** Only these roles see it in the navigation (the API enforces the roles). */
  roles?: User["role"][];
}

export const SECTIONS: Section[] = ["Overview", "Inventory", "Network", "Automation", "Events", "Admin"];

export function match(routes: Route[], hash: string): { route: Route; params: string[] } | null {
  for (const route of routes) {
    const found = route.path.exec(hash);
    if (found) return { route, params: found.slice(1) };
  }
  return null;
}

export function go(path: string): void {
  window.location.hash = `#/${path}`;
}
