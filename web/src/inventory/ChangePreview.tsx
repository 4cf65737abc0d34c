// Nothing changes a device from the UI before a confirmation that shows the change: the
// action first runs as a dry run (the API's preview modes: a rollback with dry_run, a
// configuration type's `preview_inputs`), the dialog shows each device's diff (+/- lines)
// or "No change", and only the confirm button starts the real run.
import { useState } from "preact/hooks";
import { api } from "../api";
import { ConfirmDialog } from "../forms/ConfirmDialog";
import { go } from "../router";
import { isDryRun, PreviewBody, previewInputsOf, useDryRun, type DevicePreview, type RunState } from "./dryRun";
import { useWorkflowGuard, type RunnableWorkflow } from "./WorkflowPreview";

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
  const outcome = useDryRun(preview);
  const { previews } = outcome;
  const ready = preview === null || (previews !== null && previews.some((p) => p.changed && !p.error));
  return (
    <ConfirmDialog
      title={title}
      confirmLabel={confirmLabel(previews)}
      ready={ready}
      onConfirm={async () => {
        const run = await apply();
        go(`runs/${run.id}`);
      }}
      onClose={onClose}
    >
      {preview === null ? <p class="notice">{unpreviewable}</p> : <PreviewBody outcome={outcome} />}
    </ConfirmDialog>
  );
}

/** What the Run panel needs of a service (or workflow) to guard it. */
interface GuardedService extends RunnableWorkflow {
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
 * changes configuration (or the workflow has such a step) and it opened the confirmation (with
 * the dry run) instead of running; render `dialog`. A run that is already a dry run, and any
 * other type, passes through. */
export function useChangeGuard() {
  const [pending, setPending] = useState<PendingRun | null>(null);
  const workflows = useWorkflowGuard();

  const intercept = async (service: GuardedService, body: Record<string, unknown>, device?: string) => {
    const path = `/api/v1/run/${encodeURIComponent(service.name)}`;
    if (service.kind === "workflow") {
      const start = async () => {
        const run = await api<{ id: string }>(path, { method: "POST", body: JSON.stringify(body) });
        go(`runs/${run.id}`);
      };
      return workflows.intercept(service, body, start, device);
    }
    const previewInputs = await previewInputsOf(service.type);
    if (!previewInputs) return false;
    const inputs = { ...service.inputs, ...((body.inputs as Record<string, unknown>) ?? {}) };
    if (isDryRun(inputs, previewInputs)) return false;
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
  return { intercept, dialog: dialog ?? workflows.dialog };
}
