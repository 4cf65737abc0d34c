// Follow a run through its server-sent events (GET /api/v1/runs/{id}/events): every stored
// step result, the run's status as it changes, then "end". Events are applied in order, a
// few times a second at most (a 1,000-device run sends many); results are kept once each
// (a reconnecting stream sends them again).
import { useEffect, useState } from "preact/hooks";
import { api } from "../api";
import type { ResultRead, RunRead } from "./types";

type Event = { kind: "result"; result: ResultRead } | { kind: "status"; run: RunRead };

export function useRunStream(runId: string | null) {
  const [run, setRun] = useState<RunRead | null>(null);
  const [results, setResults] = useState<ResultRead[]>([]);

  useEffect(() => {
    setRun(null);
    setResults([]);
    if (!runId) return;
    let closed = false;
    let timer: number | undefined;
    const pending: Event[] = [];
    const seen = new Set<number>();
    const flush = () => {
      timer = undefined;
      const batch = pending.splice(0);
      const added = batch.flatMap((e) => (e.kind === "result" ? [e.result] : []));
      const status = batch.filter((e) => e.kind === "status").pop();
      // results and status together: a final status never shows before its last results
      if (added.length) setResults((before) => [...before, ...added]);
      if (status?.kind === "status") setRun(status.run);
    };
    const queue = (event: Event) => {
      pending.push(event);
      if (timer === undefined) timer = window.setTimeout(flush, 60);
    };
    const source = new EventSource(`/api/v1/runs/${runId}/events`);
    source.addEventListener("result", (e) => {
      const result = JSON.parse((e as MessageEvent).data) as ResultRead;
      if (seen.has(result.id)) return;
      seen.add(result.id);
      queue({ kind: "result", result });
    });
    source.addEventListener("status", (e) => queue({ kind: "status", run: JSON.parse((e as MessageEvent).data) }));
    source.addEventListener("end", () => {
      source.close();
      // the final summary (every device's outcome) as stored
      api<RunRead>(`/api/v1/runs/${runId}`).then((found) => !closed && queue({ kind: "status", run: found }));
    });
    source.onerror = () => {
      if (source.readyState === EventSource.CLOSED && !closed) {
        api<RunRead>(`/api/v1/runs/${runId}`).then((found) => !closed && queue({ kind: "status", run: found }));
      }
    };
    return () => {
      closed = true;
      source.close();
      window.clearTimeout(timer);
    };
  }, [runId]);

  return { run, results, setRun };
}
