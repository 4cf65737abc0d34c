import type { Route } from "../router";
import { Builder } from "./Builder";
import { WorkflowList } from "./WorkflowList";

// This feature's pages (see ../router.tsx); main.tsx composes every module's list.
// Services is the 5th table of the Automation section (order 4): Workflows follows it.
export const ROUTES: Route[] = [
  {
    path: /^workflows$/,
    render: () => <WorkflowList />,
    nav: { section: "Automation", title: "Workflows", order: 4.5 },
  },
  { path: /^workflows\/new$/, render: () => <Builder id={null} /> },
  { path: /^workflows\/(\d+)$/, render: ([id]) => <Builder id={Number(id)} /> },
];
