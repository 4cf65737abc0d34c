// What the scheduling and events pages read from the API, and small shared helpers.
import { useEffect, useState } from "preact/hooks";
import { api, ApiError, type Page } from "../api";

export interface TaskRead {
  id: number;
  name: string;
  description: string;
  automation: string;
  targets: { devices?: string[]; pools?: string[] } | null;
  variables: Record<string, unknown>;
  inputs: Record<string, unknown>;
  kind: "once" | "interval" | "cron";
  start_at: string | null;
  end_at: string | null;
  interval_seconds: number | null;
  cron: string | null;
  timezone: string;
  misfire: "skip" | "run_once" | "run_all";
  misfire_grace: number;
  paused: boolean;
  summary: string;
  next_fire_at: string | null;
  last_fire_at: string | null;
  created_by: string;
  created_at: string;
}

export interface CalendarEvent {
  kind: "run" | "firing";
  title: string;
  start: string;
  end: string | null;
  status: string;
  run_id: string | null;
  task: string | null;
  task_id: number | null;
  trigger: string | null;
  error: string | null;
}

export interface SyslogRead {
  id: number;
  received_at: string;
  source: string;
  device: string;
  facility: number;
  severity: number;
  hostname: string;
  program: string;
  message: string;
  extra: { rfc?: string; pid?: string; msgid?: string; timestamp?: string; structured?: Record<string, Record<string, string>> };
}

export interface MessageMatch {
  rule: string;
  at: string;
  status: string;
  device: string;
  groups: Record<string, unknown>;
  run_id: string | null;
  run_status: string | null;
  error: string | null;
}

export interface SyslogDetail extends SyslogRead {
  matches: MessageMatch[];
}

export interface SyslogStats {
  running: boolean;
  received: number;
  stored: number;
  dropped: number;
  oversized: number;
  queue_depth: number;
  queue_capacity: number;
  rules_fired: number;
  tcp_connections: number;
  listening: Record<string, number | null>;
}

export interface RuleMatch {
  devices?: string[];
  pool?: string | null;
  facilities?: number[];
  max_severity?: number | null;
  program?: string | null;
  regex?: string | null;
}

export interface RuleRead {
  id: number;
  name: string;
  description: string;
  enabled: boolean;
  automation: string;
  match: RuleMatch;
  dedup_window: number;
  rate_limit: number;
  fired: number;
  last_fired_at: string | null;
}

export const SEVERITIES = ["emergency", "alert", "critical", "error", "warning", "notice", "info", "debug"];
export const FACILITIES = [
  "kern", "user", "mail", "daemon", "auth", "syslog", "lpr", "news", "uucp", "cron", "authpriv",
  "ftp", "ntp", "security", "console", "solaris-cron",
  "local0", "local1", "local2", "local3", "local4", "local5", "local6", "local7",
];

/** Names of the services and workflows a task or rule can start. */
export function useAutomations(): { services: string[]; workflows: string[] } {
  const [found, setFound] = useState<{ services: string[]; workflows: string[] }>({ services: [], workflows: [] });
  useEffect(() => {
    const names = (path: string) =>
      api<Page<{ name: string }>>(path).then((page) => page.items.map((row) => row.name), () => [] as string[]);
    Promise.all([names("/api/v1/services?limit=1000"), names("/api/v1/workflows?limit=1000")]).then(
      ([services, workflows]) => setFound({ services, workflows }),
    );
  }, []);
  return found;
}

/** Names from a listing endpoint (devices, pools), for datalists and selects. */
export function useNames(path: string): string[] {
  const [names, setNames] = useState<string[]>([]);
  useEffect(() => {
    api<Page<{ name: string }> | { name: string }[]>(path).then(
      (answer) => setNames((Array.isArray(answer) ? answer : answer.items).map((row) => row.name)),
      () => setNames([]),
    );
  }, [path]);
  return names;
}

/**
 * The API's complaints, per form field. Paths lose ``strip`` prefixes ("timing."); a
 * model-level message ("start_at: a once task needs its date", "end_at must be after …")
 * goes to the field it starts with when that is one of ``known``.
 */
export function fieldErrors(exc: ApiError, known: string[], strip: string[] = []): Record<string, string> {
  const found: Record<string, string> = {};
  const place = (path: string, message: string) => {
    const text = message.replace(/^Value error, /, "");
    let key = path;
    for (const prefix of strip) if (key.startsWith(prefix)) key = key.slice(prefix.length);
    if (!known.includes(key)) {
      const named = /^([a-z_]+)\b/.exec(text)?.[1];
      const trimmed = key.replace(/\.\d+$/, "");
      if (known.includes(trimmed)) key = trimmed;
      else if (named && known.includes(named)) key = named;
      else return;
    }
    if (!found[key]) found[key] = text.replace(new RegExp(`^${key}: `), "");
  };
  for (const error of exc.errors) place(error.field, error.message);
  if (exc.field) place(exc.field, exc.message.replace(new RegExp(`^${exc.field}: `), ""));
  return found;
}

export function message(exc: unknown): string {
  return exc instanceof Error ? exc.message : String(exc);
}
