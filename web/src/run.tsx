import { useEffect, useState } from "preact/hooks";
import { api } from "./api";
import { ParsedTables } from "./results/ParsedTables";
import { RunReport } from "./results/RunReport";

interface RunRead {
  id: string;
  name: string;
  status: string;
  mode: string;
  trigger: string;
  creator: string;
  started_at: string | null;
  ended_at: string | null;
  steps?: { id: string; name: string }[];
  report?: string | null;
  summary: {
    counts?: Record<string, number>;
    devices?: Record<string, { outcome: string; path: { step: string; success: boolean }[] }>;
  };
}

interface ResultRead {
  id: number;
  step: string;
  service: string;
  device: string;
  success: boolean;
  result: Record<string, unknown>;
  logs: string;
  started_at: string;
  ended_at: string;
}

const FINAL = new Set(["success", "failure", "stopped", "error", "interrupted"]);

/** "1 min 05 s" from two instants (the second defaults to now: a run still going). */
export function elapsed(start: string | null, end: string | null): string {
  if (!start) return "";
  const seconds = Math.max(0, ((end ? Date.parse(end) : Date.now()) - Date.parse(start)) / 1000);
  if (seconds < 60) return `${seconds.toFixed(seconds < 10 ? 1 : 0)} s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes} min ${String(Math.round(seconds % 60)).padStart(2, "0")} s`;
  return `${Math.floor(minutes / 60)} h ${String(minutes % 60).padStart(2, "0")} min`;
}

const when = (value: string | null) => (value ? new Date(value).toLocaleString() : "");

// One run: per-device outcome and path, every step result with its logs, and a diff of
// any two results. Refreshes until the run ends.
export function RunPage({ id }: { id: string }) {
  const [run, setRun] = useState<RunRead | null>(null);
  const [results, setResults] = useState<ResultRead[]>([]);
  const [open, setOpen] = useState<number | null>(null);
  const [picked, setPicked] = useState<number[]>([]);
  const [diff, setDiff] = useState<string | null>(null);
  useEffect(() => {
    let timer: number | undefined;
    const load = async () => {
      const found = await api<RunRead>(`/api/v1/runs/${id}`);
      setRun(found);
      setResults(await api<ResultRead[]>(`/api/v1/runs/${id}/results`));
      if (!FINAL.has(found.status)) timer = window.setTimeout(load, 1000);
    };
    load();
    return () => window.clearTimeout(timer);
  }, [id]);
  const pick = (resultId: number) => {
    const next = picked.includes(resultId)
      ? picked.filter((p) => p !== resultId)
      : [...picked, resultId].slice(-2);
    setPicked(next);
    setDiff(null);
  };
  const compare = async () => {
    const answer = await api<{ diff: string }>(
      `/api/v1/results/compare?first=${picked[0]}&second=${picked[1]}`,
    );
    setDiff(answer.diff || "(identical)");
  };
  if (!run) return <p>Loading…</p>;
  const devices = Object.entries(run.summary.devices ?? {});
  // results in the order the run walks its steps (then by device), named, not by step id
  const steps = run.steps ?? [];
  const position = new Map(steps.map((s, i) => [s.id, i]));
  const named = new Map(steps.map((s) => [s.id, s.name]));
  const stepName = (id: string, service?: string) => named.get(id) ?? service ?? id;
  const ordered = [...results].sort(
    (a, b) =>
      (position.get(a.step) ?? steps.length) - (position.get(b.step) ?? steps.length) ||
      a.device.localeCompare(b.device) ||
      a.id - b.id,
  );
  return (
    <section aria-label={`Run ${run.name}`}>
      <div class="toolbar">
        <h2>
          {run.name} <span class={`badge ${run.status}`}>{run.status}</span>
        </h2>
        <a href="#/runs">All runs</a>
      </div>
      <p class="meta">
        {run.mode} · {run.trigger} · by {run.creator} ·{" "}
        {Object.entries(run.summary.counts ?? {})
          .map(([k, v]) => `${v} ${k}`)
          .join(", ")}
      </p>
      <dl class="run-times" aria-label="Timing">
        <div><dt>Started</dt><dd>{when(run.started_at) || "—"}</dd></div>
        <div><dt>Ended</dt><dd>{run.ended_at ? when(run.ended_at) : FINAL.has(run.status) ? "—" : "still running"}</dd></div>
        <div><dt>Duration</dt><dd>{elapsed(run.started_at, run.ended_at) || "—"}</dd></div>
      </dl>
      <table class="grid" aria-label="Devices">
        <thead><tr><th>Device</th><th>Outcome</th><th>Path</th></tr></thead>
        <tbody>
          {devices.map(([name, info]) => (
            <tr key={name}>
              <td>{name}</td>
              <td><span class={`badge ${info.outcome}`}>{info.outcome}</span></td>
              <td>
                {info.path.map((p, i) => (
                  <span key={i} class={`step ${p.success ? "ok" : "ko"}`} title={p.step}>{stepName(p.step)}</span>
                ))}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <RunReport report={run.report} />
      <h3>Results</h3>
      <table class="grid" aria-label="Results">
        <thead><tr><th /><th>Step</th><th>Device</th><th>Outcome</th><th>Duration</th><th /></tr></thead>
        <tbody>
          {ordered.map((r) => [
            <tr key={r.id}>
              <td>
                <input type="checkbox" aria-label={`Compare result ${r.id}`}
                  checked={picked.includes(r.id)} onChange={() => pick(r.id)} />
              </td>
              <td title={`step ${r.step}`}>{stepName(r.step, r.service)}</td>
              <td>{r.device}</td>
              <td><span class={`badge ${r.success ? "success" : "failure"}`}>
                {r.success ? "success" : "failure"}</span></td>
              <td>{elapsed(r.started_at, r.ended_at)}</td>
              <td>
                <button class="link" onClick={() => setOpen(open === r.id ? null : r.id)}>
                  {open === r.id ? "Hide" : "Details"}
                </button>
              </td>
            </tr>,
            open === r.id && (
              <tr key={`${r.id}-detail`}>
                <td colSpan={6}>
                  <ParsedTables result={r.result} />
                  <pre class="logs" aria-label="Logs">{r.logs}</pre>
                  <pre class="result" aria-label="Result">{JSON.stringify(r.result, null, 2)}</pre>
                </td>
              </tr>
            ),
          ])}
        </tbody>
      </table>
      <button disabled={picked.length !== 2} onClick={compare}>Compare selected</button>
      {diff !== null && <pre class="diff" aria-label="Difference">{diff}</pre>}
    </section>
  );
}
