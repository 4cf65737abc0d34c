import { useEffect, useState } from "preact/hooks";
import { api } from "./api";
import { ParsedTables } from "./results/ParsedTables";

interface RunRead {
  id: string;
  name: string;
  status: string;
  mode: string;
  trigger: string;
  creator: string;
  started_at: string | null;
  ended_at: string | null;
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
}

const FINAL = new Set(["success", "failure", "stopped", "error", "interrupted"]);

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
      <table class="grid" aria-label="Devices">
        <thead><tr><th>Device</th><th>Outcome</th><th>Path</th></tr></thead>
        <tbody>
          {devices.map(([name, info]) => (
            <tr key={name}>
              <td>{name}</td>
              <td><span class={`badge ${info.outcome}`}>{info.outcome}</span></td>
              <td>
                {info.path.map((p, i) => (
                  <span key={i} class={`step ${p.success ? "ok" : "ko"}`}>{p.step}</span>
                ))}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <h3>Results</h3>
      <table class="grid" aria-label="Results">
        <thead><tr><th /><th>Step</th><th>Device</th><th>Outcome</th><th /></tr></thead>
        <tbody>
          {results.map((r) => [
            <tr key={r.id}>
              <td>
                <input type="checkbox" aria-label={`Compare result ${r.id}`}
                  checked={picked.includes(r.id)} onChange={() => pick(r.id)} />
              </td>
              <td>{r.step}</td>
              <td>{r.device}</td>
              <td><span class={`badge ${r.success ? "success" : "failure"}`}>
                {r.success ? "success" : "failure"}</span></td>
              <td>
                <button class="link" onClick={() => setOpen(open === r.id ? null : r.id)}>
                  {open === r.id ? "Hide" : "Details"}
                </button>
              </td>
            </tr>,
            open === r.id && (
              <tr key={`${r.id}-detail`}>
                <td colSpan={5}>
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
