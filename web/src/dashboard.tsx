import { useEffect, useState } from "preact/hooks";
import { api } from "./api";

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
  recent_failures: { id: string; name: string; status: string; started_at: string; failed: number }[];
  engine: {
    executor: string;
    workers: { total: number; busy: number };
    nodes: number | null;
    queue_depth: number;
    sessions: number;
  };
}

function Bars({ title, counts }: { title: string; counts: Record<string, number> }) {
  const entries = Object.entries(counts).slice(0, 8);
  const top = Math.max(1, ...entries.map(([, n]) => n));
  return (
    <figure class="card" aria-label={title}>
      <figcaption>{title}</figcaption>
      {entries.length === 0 && <p class="empty">No data.</p>}
      {entries.map(([label, count]) => (
        <div class="bar" key={label}>
          <span class="label">{label}</span>
          <span class="track">
            <span class="fill" style={{ width: `${(100 * count) / top}%` }} />
          </span>
          <span class="count">{count}</span>
        </div>
      ))}
    </figure>
  );
}

function RunsChart({ days }: { days: DayCounts[] }) {
  const width = 560;
  const height = 150;
  const top = Math.max(1, ...days.map((d) => d.success + d.failure + d.other));
  const step = width / days.length;
  return (
    <figure class="card wide" aria-label="Runs per day">
      <figcaption>Runs per day (14 days)</figcaption>
      <svg viewBox={`0 0 ${width} ${height + 18}`} role="img" aria-label="Runs per day">
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
    </figure>
  );
}

export function DashboardPage() {
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
  return (
    <section aria-label="Dashboard">
      <h2>Dashboard</h2>
      <div class="tiles">
        <div class="tile"><strong>{data.devices}</strong><span>devices</span></div>
        <div class="tile"><strong>{data.runs_by_status.success ?? 0}</strong><span>successful runs</span></div>
        <div class="tile"><strong>{data.runs_by_status.failure ?? 0}</strong><span>failed runs</span></div>
        <div class="tile"><strong>{engine.sessions}</strong><span>open sessions</span></div>
        <div class="tile">
          <strong>{engine.workers.busy}/{engine.workers.total}</strong>
          <span>{engine.executor} workers busy{engine.nodes !== null ? ` · ${engine.nodes} nodes` : ""}</span>
        </div>
        <div class="tile"><strong>{engine.queue_depth}</strong><span>jobs queued</span></div>
      </div>
      <div class="cards">
        <RunsChart days={data.runs_per_day} />
        <Bars title="Devices by platform" counts={data.by_platform} />
        <Bars title="Devices by vendor" counts={data.by_vendor} />
        <Bars title="Devices by site" counts={data.by_site} />
        <figure class="card wide" aria-label="Recent failures">
          <figcaption>Recent failures</figcaption>
          {data.recent_failures.length === 0 && <p class="empty">None.</p>}
          <table class="grid">
            <tbody>
              {data.recent_failures.map((run) => (
                <tr key={run.id}>
                  <td>{run.name}</td>
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
