// The pieces of a change preview: start a dry run (the API's preview modes: a rollback with
// dry_run, a configuration type's `preview_inputs`), wait for its end, read each device's
// change, and show it as +/- lines. ChangePreview (one service, a rollback) and
// WorkflowPreview (each configuration step of a workflow) build their dialogs from these.
import { useEffect, useState } from "preact/hooks";
import { api } from "../api";
import { unifiedLines, type DiffLine } from "./diff";

export interface RunState {
  id: string;
  status: string;
  error: string | null;
}

interface ResultRow {
  device: string;
  success: boolean;
  result: Record<string, unknown>;
}

/** One device's dry run: its diff lines, whether anything would change, or why it failed. */
export interface DevicePreview {
  device: string;
  lines: DiffLine[];
  changed: boolean;
  error: string | null;
  /** True when the type shows the lines it would send rather than a diff (Netmiko). */
  linesOnly: boolean;
}

/** A dry run as the dialog shows it: still going (both null), its previews, or why it failed. */
export interface PreviewOutcome {
  previews: DevicePreview[] | null;
  problem: string | null;
}

const ACTIVE = new Set(["queued", "running", "stopping"]);

/** The change a dry run's result describes: a diff (rollback, NAPALM), or the rendered lines
 * a Netmiko push would send (all of them are additions). */
function previewOf(row: ResultRow): DevicePreview {
  const result = row.result ?? {};
  let lines: DiffLine[] = [];
  const linesOnly = typeof result.diff !== "string" && Array.isArray(result.rendered);
  if (typeof result.diff === "string") lines = unifiedLines(result.diff);
  else if (Array.isArray(result.rendered))
    lines = result.rendered.map((line): DiffLine => ({ kind: "add", text: `+${String(line)}` }));
  const error = row.success ? null : String(result.error ?? "the dry run failed");
  const changed = lines.some((l) => l.kind === "add" || l.kind === "del");
  return { device: row.device, lines, changed, error, linesOnly };
}

/** Starts the dry run, waits for its end and reads each device's change. */
export async function dryRun(start: () => Promise<RunState>, alive: () => boolean): Promise<DevicePreview[]> {
  let run = await start();
  while (ACTIVE.has(run.status) && alive()) {
    await new Promise((resolve) => setTimeout(resolve, 1000));
    run = await api<RunState>(`/api/v1/runs/${run.id}`);
  }
  const rows = await api<ResultRow[]>(`/api/v1/runs/${run.id}/results`);
  if (!rows.length) throw new Error(run.error || `The dry run ended ${run.status} without a result.`);
  return rows.map(previewOf);
}

/** Runs ``start`` once (on mount) as a dry run; its outcome while the component lives. */
export function useDryRun(start: (() => Promise<RunState>) | null): PreviewOutcome {
  const [outcome, setOutcome] = useState<PreviewOutcome>({ previews: null, problem: null });
  useEffect(() => {
    if (!start) return;
    let open = true;
    dryRun(start, () => open).then(
      (previews) => open && setOutcome({ previews, problem: null }),
      (exc: Error) => open && setOutcome({ previews: null, problem: exc.message }),
    );
    return () => {
      open = false;
    };
  }, []);
  return outcome;
}

const previewCache = new Map<string, Promise<Record<string, unknown> | null>>();

/** A service type's dry-run inputs (`preview_inputs` of GET /service-types/{type}); null for a
 * type that changes no configuration. Asked once per page load (built-in types only). */
export function previewInputsOf(type: string): Promise<Record<string, unknown> | null> {
  let found = previewCache.get(type);
  if (!found) {
    found = api<{ preview_inputs?: Record<string, unknown> | null }>(
      `/api/v1/service-types/${encodeURIComponent(type)}`,
    ).then((read) => read.preview_inputs ?? null);
    found.catch(() => previewCache.delete(type)); // asked again next time
    previewCache.set(type, found);
  }
  return found;
}

/** True when the inputs already are a dry run (the type's preview inputs are set). */
export function isDryRun(inputs: Record<string, unknown>, previewInputs: Record<string, unknown>): boolean {
  return Object.entries(previewInputs).every(([key, value]) => inputs[key] === value);
}

export function UnifiedDiff({ preview }: { preview: DevicePreview }) {
  return (
    <figure class="card change-preview" aria-label={`Changes on ${preview.device}`}>
      <figcaption>
        <strong>{preview.device}</strong>
        {preview.error ? " — the dry run failed"
          : !preview.changed ? " — No change"
            : preview.linesOnly ? " — the lines it would send" : " — running configuration → after"}
      </figcaption>
      {preview.error && <p class="error">{preview.error}</p>}
      {preview.changed && (
        <pre class="diff-lines">
          {preview.lines.map((line, index) => (
            <span key={index} class={`diff-line ${line.kind}`}>{line.text}</span>
          ))}
        </pre>
      )}
    </figure>
  );
}

/** A dry run's progress, its failure, or each device's change with a line on how to read it. */
export function PreviewBody({ outcome }: { outcome: PreviewOutcome }) {
  const { previews, problem } = outcome;
  if (problem) return <p class="error" role="alert">The dry run failed: {problem}</p>;
  if (!previews) return <p class="meta" role="status">Dry run: finding what would change…</p>;
  return (
    <>
      <p class="meta">
        Dry run done: nothing has changed yet.
        {previews.some((p) => p.lines.some((l) => l.kind === "del"))
          ? " Lines marked + would be added, − removed."
          : previews.some((p) => p.changed) ? " Lines marked + would be sent." : ""}
      </p>
      {previews.map((p) => <UnifiedDiff key={p.device} preview={p} />)}
    </>
  );
}
