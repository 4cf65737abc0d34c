// Actions on the rows selected in a DataTable: set one field on all of them, delete them
// (after a ConfirmDialog listing them), on device tables run a service on them, and on
// service and workflow tables run each of them once on its default targets.
// A table with bulk endpoints sends one request (all or nothing); else one per row.
import { useEffect, useState } from "preact/hooks";
import { api, ApiError, type Page } from "../api";
import { RunPanel } from "../automation/RunPanel";
import { ConfirmDialog } from "../forms/ConfirmDialog";
import { go } from "../router";

export interface BulkField {
  key: string;
  title: string;
  /** An endpoint listing the allowed names (a select, with "none" to clear). */
  choices?: string;
  /** A comma-separated list (tags). */
  list?: boolean;
}

export interface BulkSpec {
  /** What one row is ("service"), for tables without a ``resource`` form. */
  noun?: string;
  /** POST {ids} deletes them all, all or nothing. Without it: one DELETE per row. */
  deleteEndpoint?: string;
  /** The objects' single routes take names, not ids: POST {names} to ``deleteEndpoint``. */
  byName?: boolean;
  /** PATCH {ids, changes} sets fields on all, all or nothing. Without it: one PATCH per row. */
  editEndpoint?: string;
  /** The fields "Edit selected" may set. */
  fields?: BulkField[];
  /** "Run on selected": the run panel with the selected devices as targets. */
  run?: boolean;
  /** "Run selected": POST {ids} runs each selected service or workflow once on its default
   * targets, all or none (one that changes configuration is refused: its page confirms it). */
  runEndpoint?: string;
}

interface StartedRun {
  id: string;
}

export type BulkRow = { id?: number | string; name?: unknown };

const label = (row: BulkRow) => String(row.name ?? row.id);
const plural = (count: number, noun: string) => `${count} ${noun}${count === 1 ? "" : "s"}`;

function EditDialog({ endpoint, bulk, noun, rows, onDone, onClose }: {
  endpoint: string;
  bulk: BulkSpec;
  noun: string;
  rows: BulkRow[];
  onDone: () => void;
  onClose: () => void;
}) {
  const fields = bulk.fields ?? [];
  const [key, setKey] = useState(fields[0]?.key ?? "");
  const [value, setValue] = useState("");
  const [names, setNames] = useState<string[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const field = fields.find((f) => f.key === key);

  // the value is reset where the field changes, not in this effect: effects run after the
  // next paint, so a value typed right after choosing the field would be wiped
  useEffect(() => {
    if (!field?.choices) return;
    api<Page<{ name: string }> | { name: string }[]>(field.choices).then(
      (answer) => setNames((Array.isArray(answer) ? answer : answer.items).map((r) => r.name)),
      (exc: Error) => setError(exc.message),
    );
  }, [key]);

  const save = async (event: Event) => {
    event.preventDefault();
    const sent = field?.list ? value.split(",").map((v) => v.trim()).filter(Boolean) : value;
    const changes = { [key]: sent };
    setBusy(true);
    setError(null);
    try {
      if (bulk.editEndpoint) {
        const ids = rows.map((r) => r.id);
        await api(bulk.editEndpoint, { method: "PATCH", body: JSON.stringify({ ids, changes }) });
      } else {
        for (const row of rows) {
          await api(`${endpoint}/${row.id}`, { method: "PATCH", body: JSON.stringify(changes) });
        }
      }
      onDone();
    } catch (exc) {
      setError(exc instanceof ApiError ? exc.message : String(exc));
    } finally {
      setBusy(false);
    }
  };

  const title = `Edit ${plural(rows.length, noun)}`;
  return (
    <div class="overlay" onClick={(e) => e.target === e.currentTarget && !busy && onClose()}>
      <form class="dialog bulk-edit" role="dialog" aria-modal="true" aria-label={title} onSubmit={save}>
        <header>
          <h3>{title}</h3>
          <button type="button" class="quiet" aria-label="Close" disabled={busy} onClick={onClose}>✕</button>
        </header>
        <p class="meta">Sets one field on {rows.map(label).join(", ")}.</p>
        <label>
          Field
          <select value={key} onChange={(e) => {
            setKey((e.target as HTMLSelectElement).value);
            setValue("");
            setNames(null);
          }}>
            {fields.map((f) => <option key={f.key} value={f.key}>{f.title}</option>)}
          </select>
        </label>
        <label>
          New value
          {field?.choices ? (
            <select value={value} onChange={(e) => setValue((e.target as HTMLSelectElement).value)}>
              <option value="">none</option>
              {(names ?? []).map((n) => <option key={n} value={n}>{n}</option>)}
            </select>
          ) : (
            <input value={value} placeholder={field?.list ? "a, b, c" : ""}
              onInput={(e) => setValue((e.target as HTMLInputElement).value)} />
          )}
        </label>
        {error && <p class="error" role="alert">{error}</p>}
        <footer>
          <button type="button" class="quiet" disabled={busy} onClick={onClose}>Cancel</button>
          <button type="submit" disabled={busy || !key}>{busy ? "Saving…" : `Set ${field?.title ?? ""} on ${plural(rows.length, noun)}`}</button>
        </footer>
      </form>
    </div>
  );
}

/** The bar above a table with a selection; ``onDone`` reloads the table. */
export function BulkBar({ endpoint, bulk, noun, rows, onDone, onClear }: {
  endpoint: string;
  bulk: BulkSpec;
  noun: string;
  rows: BulkRow[];
  onDone: () => void;
  onClear: () => void;
}) {
  const [open, setOpen] = useState<"edit" | "delete" | "run" | "start" | null>(null);
  const close = () => setOpen(null);
  const remove = async () => {
    if (bulk.deleteEndpoint) {
      const body = bulk.byName ? { names: rows.map(label) } : { ids: rows.map((r) => r.id) };
      await api(bulk.deleteEndpoint, { method: "POST", body: JSON.stringify(body) });
    } else {
      for (const row of rows) await api(`${endpoint}/${row.id}`, { method: "DELETE" });
    }
    onDone();
  };
  const start = async () => {
    if (!bulk.runEndpoint) return;
    const ids = rows.map((r) => r.id);
    const runs = await api<StartedRun[]>(bulk.runEndpoint, { method: "POST", body: JSON.stringify({ ids }) });
    go(runs.length === 1 ? `runs/${runs[0].id}` : "runs");
  };
  if (!rows.length) return null;
  return (
    <div class="bulk-bar" role="region" aria-label="Selection">
      <strong>{rows.length} selected</strong>
      {bulk.fields?.length ? <button onClick={() => setOpen("edit")}>Edit selected</button> : null}
      {bulk.run && <button onClick={() => setOpen("run")}>Run on selected</button>}
      {bulk.runEndpoint && <button onClick={() => setOpen("start")}>Run selected</button>}
      <button class="danger" onClick={() => setOpen("delete")}>Delete selected</button>
      <button class="quiet" onClick={onClear}>Clear selection</button>
      {open === "edit" && (
        <EditDialog endpoint={endpoint} bulk={bulk} noun={noun} rows={rows}
          onDone={() => { close(); onDone(); }} onClose={close} />
      )}
      {open === "delete" && (
        <ConfirmDialog title={`Delete ${plural(rows.length, noun)}?`}
          confirmLabel={`Delete ${plural(rows.length, noun)}`} onConfirm={remove} onClose={close}>
          <p>These will be deleted{bulk.deleteEndpoint ? " (all or none)" : ""}:</p>
          <ul class="bulk-list">{rows.map((r) => <li key={r.id}>{label(r)}</li>)}</ul>
        </ConfirmDialog>
      )}
      {open === "start" && (
        <ConfirmDialog title={`Run ${plural(rows.length, noun)}?`} danger={false}
          confirmLabel={`Run ${plural(rows.length, noun)}`} onConfirm={start} onClose={close}>
          <p>Each runs once on its own default targets (all or none):</p>
          <ul class="bulk-list">{rows.map((r) => <li key={r.id}>{label(r)}</li>)}</ul>
          <p class="meta">One that changes device configuration is refused here: open it to run it,
            its page shows the change first.</p>
        </ConfirmDialog>
      )}
      {open === "run" && (
        <div class="overlay" onClick={(e) => e.target === e.currentTarget && close()}>
          <div class="dialog bulk-run" role="dialog" aria-modal="true" aria-label={`Run on ${plural(rows.length, noun)}`}>
            <header>
              <h3>Run on {plural(rows.length, noun)}</h3>
              <button type="button" class="quiet" aria-label="Close" onClick={close}>✕</button>
            </header>
            <p class="meta">Targets: {rows.map(label).join(", ")} (change them below after choosing a service).</p>
            <RunPanel targets={{ devices: rows.map(label), pools: [] }} />
          </div>
        </div>
      )}
    </div>
  );
}
