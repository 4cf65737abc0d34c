import type { Route } from "../router";
import { SessionPage, SessionsPage } from "./SessionsPage";
import { TerminalPage } from "./TerminalPage";

// This feature's pages (see ../router.tsx); main.tsx composes every module's list.
// The <Terminal deviceId={id} /> component is in ./Terminal.tsx; <LazyTerminal /> (./lazy.tsx)
// is the same, loading xterm.js on first use.
export const ROUTES: Route[] = [
  {
    path: /^devices\/(\d+)\/terminal$/,
    render: ([id]) => <TerminalPage key={id} id={Number(id)} />,
  },
  {
    path: /^terminal-sessions$/,
    render: () => <SessionsPage />,
    nav: { section: "Admin", title: "Terminal sessions", order: 50 },
    roles: ["admin", "operator"],
  },
  {
    path: /^terminal-sessions\/(\d+)$/,
    render: ([id]) => <SessionPage key={id} id={Number(id)} />,
    roles: ["admin", "operator"],
  },
];
