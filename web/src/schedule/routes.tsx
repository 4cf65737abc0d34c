import type { Route } from "../router";
import { CalendarPage } from "./CalendarPage";
import { RulesPage } from "./RulesPage";
import { SyslogPage } from "./SyslogPage";
import { TasksPage } from "./TasksPage";

// Scheduling (tasks, calendar) and events (syslog, event rules); main.tsx composes this list.
export const ROUTES: Route[] = [
  { path: /^tasks$/, render: () => <TasksPage />, nav: { section: "Automation", title: "Tasks", order: 6 } },
  { path: /^calendar$/, render: () => <CalendarPage />, nav: { section: "Automation", title: "Calendar", order: 7 } },
  { path: /^syslog$/, render: () => <SyslogPage />, nav: { section: "Events", title: "Syslog", order: 1 } },
  { path: /^rules$/, render: () => <RulesPage />, nav: { section: "Events", title: "Event rules", order: 2 } },
];
