// Nothing changes a device from the UI before a confirmation that shows the change: the
// action first runs as a dry run (the API's preview modes: a rollback with dry_run, a
// configuration type's `preview_inputs`), the dialog shows each device's diff (+/- lines)
// or "No change", and only the confirm button starts the real run.
import { useEffect, useRef, useState } from "preact/hooks";
import { api } from "../api";
import { ConfirmDialog } from "../forms/ConfirmDialog";
import { go } from "../router";
import { unifiedLines, type DiffLine } from "./diff";

interface RunState {
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

interface ChangeDialogProps {
  title: string;
  /** The confirm button's words; given the previews, e.g. "Push X to 3 devices". */
  confirmLabel: (previews: DevicePreview[] | null) => string;
  /** Starts the dry run (POST ... dry_run); null when the change cannot be previewed. */
  preview: (() => Promise<RunState>) | null;
  /** Said instead of a diff when there is no preview. */
  unpreviewable?: string;
  /** Starts the real change; answers its run, which the page then shows. */
  apply: () => Promise<{ id: string }>;
  onClose: () => void;
}

/** The confirmation: the dry run's diff per device, then the real run on confirm. */
export function ChangeDialog({ title, confirmLabel, preview, unpreviewable, apply, onClose }: ChangeDialogProps) {
  const [previews, setPreviews] = useState<DevicePreview[] | null>(null);
  const [problem, setProblem] = useState<string | null>(null);
  const open = useRef(true);
  useEffect(() => {
    if (!preview) return;
    dryRun(preview, () => open.current).then(
      (found) => open.current && setPreviews(found),
      (exc: Error) => open.current && setProblem(exc.message),
    );
    return () => {
      open.current = false;
    };
  }, []);
  const close = () => {
    open.current = false;
    onClose();
  };
  const ready = preview === null || (previews !== null && previews.some((p) => p.changed && !p.error));
  return (
    <ConfirmDialog
      title={title}
      confirmLabel={confirmLabel(previews)}
      ready={ready}
      onConfirm={async () => {
        const run = await apply();
        open.current = false;
        go(`runs/${run.id}`);
      }}
      onClose={close}
    >
      {preview === null && <p class="notice">{unpreviewable}</p>}
      {preview !== null && previews === null && !problem && (
        <p class="meta" role="status">Dry run: finding what would change…</p>
      )}
      {problem && <p class="error" role="alert">The dry run failed: {problem}</p>}
      {previews && (
        <>
          <p class="meta">
            Dry run done: nothing has changed yet.
            {previews.some((p) => p.lines.some((l) => l.kind === "del"))
              ? " Lines marked + would be added, − removed."
              : previews.some((p) => p.changed) ? " Lines marked + would be sent." : ""}
          </p>
          {previews.map((p) => <UnifiedDiff key={p.device} preview={p} />)}
        </>
      )}
    </ConfirmDialog>
  );
}

/** What the Run panel needs of a service to guard it. */
interface GuardedService {
  name: string;
  kind: string;
  type: string;
  inputs: Record<string, unknown>;
}

interface PendingRun {
  service: GuardedService;
  body: Record<string, unknown>;
  device?: string;
  previewInputs: Record<string, unknown>;
}

/** For the Run panel: `intercept(service, body, device)` answers true when the service's type
 * changes configuration and it opened the confirmation (with the dry run) instead of running;
 * render `dialog`. A run that is already a dry run, and any other type, passes through. */
export function useChangeGuard() {
  const [pending, setPending] = useState<PendingRun | null>(null);
  const previewsOf = useRef<Record<string, Record<string, unknown> | null>>({});

  const intercept = async (service: GuardedService, body: Record<string, unknown>, device?: string) => {
    if (service.kind === "workflow") return false;
    if (!(service.type in previewsOf.current)) {
      const type = await api<{ preview_inputs?: Record<string, unknown> | null }>(
        `/api/v1/service-types/${encodeURIComponent(service.type)}`,
      );
      previewsOf.current[service.type] = type.preview_inputs ?? null;
    }
    const previewInputs = previewsOf.current[service.type];
    if (!previewInputs) return false;
    const inputs = { ...service.inputs, ...((body.inputs as Record<string, unknown>) ?? {}) };
    if (Object.entries(previewInputs).every(([key, value]) => inputs[key] === value)) return false;
    setPending({ service, body, device, previewInputs });
    return true;
  };

  let dialog = null;
  if (pending) {
    const { service, body, device, previewInputs } = pending;
    const inputs = { ...service.inputs, ...((body.inputs as Record<string, unknown>) ?? {}) };
    const path = `/api/v1/run/${encodeURIComponent(service.name)}`;
    // NAPALM rolls back its last commit from the device's own saved copy: no diff to preview.
    const noPreview = inputs.action === "rollback";
    const restore = service.type === "config_restore";
    const where = (previews: DevicePreview[] | null) =>
      device ?? (previews ? `${previews.length} device${previews.length === 1 ? "" : "s"}` : "its targets");
    dialog = (
      <ChangeDialog
        title={`Run ${service.name}${device ? ` on ${device}` : ""}`}
        confirmLabel={(previews) =>
          noPreview ? `Roll back the last commit on ${where(previews)}`
            : restore ? `Roll back ${where(previews)}` : `Push ${service.name} to ${where(previews)}`}
        preview={noPreview ? null : () =>
          api<RunState>(path, {
            method: "POST",
            body: JSON.stringify({ ...body, inputs: { ...(body.inputs as object), ...previewInputs }, wait: 60 }),
          })}
        unpreviewable="This rolls back the last NAPALM commit on each device; it cannot be previewed."
        apply={() => api<{ id: string }>(path, { method: "POST", body: JSON.stringify(body) })}
        onClose={() => setPending(null)}
      />
    );
  }
  return { intercept, dialog };
}
