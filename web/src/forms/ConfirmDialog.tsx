// Asks before an action that cannot be taken back (delete, revoke) or that changes devices
// (push, rollback, restore): the title says what happens, the body shows what exactly (a
// dry-run diff, the list of objects), and the action runs only on the confirm button.
// Escape, the backdrop and Cancel close it without acting.
import type { ComponentChildren } from "preact";
import { useEffect, useState } from "preact/hooks";
import { ApiError } from "../api";

interface Props {
  title: string;
  /** The confirm button's words, e.g. "Delete 3 devices", "Push to 2 devices". */
  confirmLabel: string;
  /** What will happen; a diff, a list. */
  children?: ComponentChildren;
  /** Red confirm button: deleting, revoking, pushing configuration. */
  danger?: boolean;
  /** False while a dry run is still loading or found nothing to do. */
  ready?: boolean;
  onConfirm: () => Promise<unknown> | unknown;
  onClose: () => void;
}

export function ConfirmDialog({
  title,
  confirmLabel,
  children,
  danger = true,
  ready = true,
  onConfirm,
  onClose,
}: Props) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => e.key === "Escape" && !busy && onClose();
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  }, [busy]);

  const confirm = async () => {
    setBusy(true);
    setError(null);
    try {
      await onConfirm();
      onClose();
    } catch (exc) {
      setError(exc instanceof ApiError ? exc.message : String(exc));
    } finally {
      setBusy(false);
    }
  };

  return (
    <div class="overlay" onClick={(e) => e.target === e.currentTarget && !busy && onClose()}>
      <div class="dialog confirm" role="alertdialog" aria-modal="true" aria-label={title}>
        <header>
          <h3>{title}</h3>
          <button type="button" class="quiet" aria-label="Close" disabled={busy} onClick={onClose}>
            ✕
          </button>
        </header>
        <div class="confirm-body">{children}</div>
        {error && <p class="error" role="alert">{error}</p>}
        <footer>
          <button type="button" class="quiet" disabled={busy} onClick={onClose}>Cancel</button>
          <button
            type="button"
            class={danger ? "danger" : undefined}
            disabled={busy || !ready}
            onClick={confirm}
          >
            {busy ? "Working…" : confirmLabel}
          </button>
        </footer>
      </div>
    </div>
  );
}
