// #/terminal-sessions: the audit of web terminals (admins see everyone's, others their
// own); #/terminal-sessions/{id}: one session with the transcript of what was typed.
import type { ComponentChildren } from "preact";
import { useEffect, useState } from "preact/hooks";
import { api } from "../api";
import { DataTable, type TableSpec } from "../table";
import "./pages.css";

export interface TerminalSessionRow {
  id: number;
  user_id: number | null;
  username: string;
  device_id: number | null;
  device_name: string;
  host: string;
  port: number;
  client: string;
  started_at: string;
  ended_at: string | null;
  duration_seconds: number | null;
  bytes_in: number;
  bytes_out: number;
  close_reason: string;
  transcript_chars: number;
  transcript_truncated: boolean;
}

interface TerminalSessionDetail extends TerminalSessionRow {
  transcript: string;
}

const when = (value: string | null) => (value ? new Date(value).toLocaleString() : "");

export function duration(seconds: number | null): string {
  if (seconds === null) return "";
  if (seconds < 60) return `${seconds.toFixed(seconds < 10 ? 1 : 0)} s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes} min ${Math.round(seconds % 60)} s`;
  return `${Math.floor(minutes / 60)} h ${minutes % 60} min`;
}

export function bytes(count: number): string {
  if (count < 1024) return `${count} B`;
  if (count < 1024 * 1024) return `${(count / 1024).toFixed(1)} KiB`;
  return `${(count / 1024 / 1024).toFixed(1)} MiB`;
}

function state(row: TerminalSessionRow) {
  if (!row.ended_at) return <span class="badge running">open</span>;
  const failed = /failed|cannot|no answer|refused|idle/i.test(row.close_reason);
  return (
    <span class={`badge ${failed ? "failure" : "success"}`} title={row.close_reason}>
      closed
    </span>
  );
}

const SPEC: TableSpec<TerminalSessionRow> = {
  title: "Terminal sessions",
  endpoint: "/api/v1/terminal-sessions",
  paged: true,
  sort: true,
  search: "q",
  columns: [
    {
      key: "started_at",
      title: "Started",
      sortable: true,
      render: (r) => <a href={`#/terminal-sessions/${r.id}`}>{when(r.started_at)}</a>,
    },
    { key: "username", title: "User", sortable: true, filter: "user" },
    {
      key: "device_name",
      title: "Device",
      sortable: true,
      filter: "device",
      render: (r) =>
        r.device_id !== null ? <a href={`#/devices/${r.device_id}`}>{r.device_name}</a> : r.device_name,
    },
    { key: "duration_seconds", title: "Duration", render: (r) => duration(r.duration_seconds) },
    { key: "bytes_in", title: "Typed", sortable: true, render: (r) => bytes(r.bytes_in) },
    { key: "bytes_out", title: "Received", sortable: true, render: (r) => bytes(r.bytes_out) },
    { key: "state", title: "State", render: state },
    { key: "close_reason", title: "Close reason" },
  ],
};

export function SessionsPage() {
  return (
    <div class="terminal-sessions">
      <p class="meta" aria-label="About terminal sessions">
        Web SSH terminals opened from a device page, with what was typed. The dashboard's
        "cached device sessions" are different: the connections workers keep open to devices
        between jobs.
      </p>
      <DataTable spec={SPEC} />
    </div>
  );
}

export function SessionPage({ id }: { id: number }) {
  const [row, setRow] = useState<TerminalSessionDetail | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    api<TerminalSessionDetail>(`/api/v1/terminal-sessions/${id}`).then(setRow, (exc: Error) =>
      setError(exc.message),
    );
  }, [id]);
  if (error) return <section><p class="error" role="alert">{error}</p></section>;
  if (!row) return null;
  const facts: [string, ComponentChildren][] = [
    ["User", row.username],
    ["Device", row.device_id !== null ? <a href={`#/devices/${row.device_id}`}>{row.device_name}</a> : row.device_name],
    ["Address", `${row.host}:${row.port}`],
    ["From", row.client],
    ["Started", when(row.started_at)],
    ["Ended", row.ended_at ? when(row.ended_at) : "still open"],
    ["Duration", duration(row.duration_seconds)],
    ["Typed / received", `${bytes(row.bytes_in)} / ${bytes(row.bytes_out)}`],
    ["Close reason", row.close_reason || "—"],
  ];
  return (
    <section class="terminal-session" aria-label={`Terminal session ${row.id}`}>
      <div class="toolbar">
        <h2>
          Terminal session <small>#{row.id} · {row.device_name}</small> {state(row)}
        </h2>
        {row.device_id !== null && (
          <a class="button-link" href={`#/devices/${row.device_id}/terminal`}>Open a terminal</a>
        )}
        <a class="button-link" href="#/terminal-sessions">All sessions</a>
      </div>
      <dl class="properties">
        {facts.map(([title, value]) => (
          <div key={title}>
            <dt>{title}</dt>
            <dd>{value}</dd>
          </div>
        ))}
      </dl>
      <h3>Typed input</h3>
      <p class="meta">What the user entered, line by line; input at password prompts is hidden.</p>
      <pre class="logs" aria-label="Transcript">
        {row.transcript || "(nothing typed)"}
      </pre>
    </section>
  );
}
