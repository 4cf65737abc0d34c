import { useEffect, useState } from "preact/hooks";
import { api } from "./api";
import { useUser } from "./session";

interface DayCounts {
  day: string;
  success: number;
  failure: number;
  other: number;
}

interface Dashboard {
  devices: number;
  by_platform: Record<string, number>;
  by_vendor: Record<string, number>;
  by_site: Record<string, number>;
  runs_by_status: Record<string, number>;
  runs_per_day: DayCounts[];
  jobs_per_day: DayCounts[];
  jobs_by_source: Record<string, number>;
  recent_failures: { id: string; name: string; status: string; started_at: string; failed: number }[];
  terminal_sessions: number;
  engine: {
    executor: string;
    workers: { total: number; busy: number };
    nodes: number | null;
    queue_depth: number;
    sessions: number;
  };
}

const SHOWN = 8;
const SOURCES: Record<string, string> = { api: "API / NetPulse", cli: "CLI (netweave run)", run: "steps of runs" };

// A bar per value, the largest first; each opens the device list narrowed to it. Past eight
// bars a "+N more" button shows the rest (nothing is left out silently).
function Bars({ title, field, counts }: { title: string; field: string; counts: Record<string, number> }) {
  const [all, setAll] = useState(false);
  const every = Object.entries(counts);
  const entries = all ? every : every.slice(0, SHOWN);
  const top = Math.max(1, ...every.map(([, n]) => n));
  return (
    <figure class="card" aria-label={title}>
      <figcaption>{title}</figcaption>
      {every.length === 0 && <p class="empty">No data.</p>}
      {entries.map(([label, count]) => (
        <div class="bar" key={label}>
          {label === "(none)" ? (
            <span class="label">{label}</span>
          ) : (
            <a class="label" href={`#/devices/${field}/${encodeURIComponent(label)}`}
              title={`Devices with ${field} ${label}`}>{label}</a>
          )}
          <span class="track">
            <span class="fill" style={{ width: `${(100 * count) / top}%` }} />
          </span>
          <span class="count">{count}</span>
        </div>
      ))}
      {every.length > SHOWN && (
        <button type="button" class="link more" aria-expanded={all} onClick={() => setAll(!all)}>
          {all ? "Show fewer" : `+${every.length - SHOWN} more`}
        </button>
      )}
    </figure>
  );
}

function DayChart({ title, days, note }: { title: string; days: DayCounts[]; note?: string }) {
  const width = 560;
  const height = 150;
  const top = Math.max(1, ...days.map((d) => d.success + d.failure + d.other));
  const step = width / days.length;
  return (
    <figure class="card wide" aria-label={title}>
      <figcaption>{title} (14 days)</figcaption>
      <svg viewBox={`0 0 ${width} ${height + 18}`} role="img" aria-label={title}>
        {days.map((d, i) => {
          let y = height;
          return (
            <g key={d.day}>
              {(["success", "failure", "other"] as const).map((kind) => {
                const h = (d[kind] / top) * height;
                y -= h;
                return h > 0 ? (
                  <rect key={kind} class={kind} x={i * step + 4} y={y} width={step - 8} height={h}>
                    <title>{`${d.day}: ${d[kind]} ${kind}`}</title>
                  </rect>
                ) : null;
              })}
              <text x={i * step + step / 2} y={height + 14} text-anchor="middle">
                {d.day.slice(8)}
              </text>
            </g>
          );
        })}
      </svg>
      {note && <p class="meta">{note}</p>}
    </figure>
  );
}

function Tile({ count, label, href, hint }: { count: string | number; label: string; href?: string; hint?: string }) {
  const body = (
    <>
      <strong>{count}</strong>
      <span>{label}</span>
    </>
  );
  return href ? (
    <a class="tile link" href={href} title={hint}>{body}</a>
  ) : (
    <div class="tile" title={hint}>{body}</div>
  );
}

export function DashboardPage() {
  const user = useUser();
  const [data, setData] = useState<Dashboard | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    const load = () => api<Dashboard>("/api/v1/dashboard").then(setData, (e: Error) => setError(e.message));
    load();
    const timer = setInterval(load, 10_000); // live enough for a wall screen
    return () => clearInterval(timer);
  }, []);
  if (error) return <p class="error" role="alert">{error}</p>;
  if (!data) return <p>Loading…</p>;
  const engine = data.engine;
  const seesTerminals = user.role !== "viewer"; // the terminal audit is for operators and admins
  const direct = data.jobs_per_day.reduce((n, d) => n + d.success + d.failure + d.other, 0);
  return (
    <section aria-label="Dashboard">
      <h2>Dashboard</h2>
      <div class="tiles">
        <Tile count={data.devices} label="devices" href="#/devices" />
        <Tile count={data.runs_by_status.success ?? 0} label="successful runs" href="#/runs/status/success" />
        <Tile count={data.runs_by_status.failure ?? 0} label="failed runs" href="#/runs/status/failure" />
        <Tile count={direct} label="device jobs (14 days)"
          hint="Jobs sent directly to devices (API, NetPulse, netweave run), not as steps of runs" />
        <Tile count={engine.sessions} label="cached device sessions"
          hint="SSH sessions the workers keep open to devices between jobs (not web terminals)" />
        <Tile count={data.terminal_sessions} label="open terminal sessions"
          href={seesTerminals ? "#/terminal-sessions" : undefined}
          hint="Web SSH terminals open in a browser now" />
        <Tile count={`${engine.workers.busy}/${engine.workers.total}`}
          label={`${engine.executor} workers busy${engine.nodes !== null ? ` · ${engine.nodes} nodes` : ""}`} />
        <Tile count={engine.queue_depth} label="jobs queued" />
      </div>
      <div class="cards">
        <DayChart title="Runs per day" days={data.runs_per_day} />
        <DayChart title="Device jobs per day" days={data.jobs_per_day}
          note={`Sent directly: ${Object.entries(data.jobs_by_source)
            .filter(([key]) => key !== "run")
            .map(([key, n]) => `${n} from ${SOURCES[key] ?? key}`)
            .join(", ")}; ${data.jobs_by_source.run ?? 0} more were steps of runs (counted as runs). Jobs are kept for their result time to live.`} />
        <Bars title="Devices by platform" field="platform" counts={data.by_platform} />
        <Bars title="Devices by vendor" field="vendor" counts={data.by_vendor} />
        <Bars title="Devices by site" field="site" counts={data.by_site} />
        <figure class="card wide" aria-label="Recent failures">
          <figcaption>Recent failures</figcaption>
          {data.recent_failures.length === 0 && <p class="empty">None.</p>}
          <table class="grid">
            <tbody>
              {data.recent_failures.map((run) => (
                <tr key={run.id}>
                  <td><a href={`#/runs/${run.id}`}>{run.name}</a></td>
                  <td><span class={`badge ${run.status}`}>{run.status}</span></td>
                  <td>{run.failed} device(s)</td>
                  <td>{run.started_at ? new Date(run.started_at).toLocaleString() : ""}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </figure>
      </div>
    </section>
  );
}
