// "Import from eNMS" (admins): an eNMS spreadsheet or zipped migration folder is first sent
// as a dry run, whose report (per object type: created, changed, unchanged, skipped with the
// reason) is shown; "Import" then sends it for real, all or nothing.
import { useRef, useState } from "preact/hooks";
import { ApiError, upload } from "../api";

interface Outcome {
  created: string[];
  changed: string[];
  unchanged: number;
  skipped: { name: string; reason: string }[];
}

export interface MigrationResult {
  report: Record<string, Outcome>;
  changes_nothing: boolean;
  dry_run: boolean;
  notes: string[];
}

interface RowError {
  sheet?: string;
  row?: number;
  field?: string;
  message: string;
}

const ENDPOINT = "/api/v1/migrate/enms";

function ReportTables({ result }: { result: MigrationResult }) {
  const kinds = Object.entries(result.report);
  const details: { kind: string; action: string; name: string; reason: string }[] = [];
  for (const [kind, outcome] of kinds) {
    const would = result.dry_run;
    for (const name of outcome.created) details.push({ kind, action: would ? "create" : "created", name, reason: "" });
    for (const name of outcome.changed) details.push({ kind, action: would ? "change" : "changed", name, reason: "" });
    for (const item of outcome.skipped) details.push({ kind, action: "skip", name: item.name, reason: item.reason });
  }
  return (
    <>
      <table class="grid" aria-label="Counts per object type">
        <thead>
          <tr><th>Object type</th><th>Create</th><th>Change</th><th>Unchanged</th><th>Skip</th></tr>
        </thead>
        <tbody>
          {kinds.map(([kind, o]) => (
            <tr key={kind}>
              <td>{kind}</td>
              <td>{o.created.length}</td>
              <td>{o.changed.length}</td>
              <td>{o.unchanged}</td>
              <td>{o.skipped.length}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {details.length > 0 && (
        <table class="grid" aria-label="Objects">
          <thead>
            <tr><th>Object type</th><th>Action</th><th>Name</th><th>Reason</th></tr>
          </thead>
          <tbody>
            {details.map((d, index) => (
              <tr key={index}>
                <td>{d.kind}</td>
                <td>{d.action}</td>
                <td>{d.name}</td>
                <td>{d.reason}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {result.notes.length > 0 && (
        <ul class="notes" aria-label="Notes">
          {result.notes.map((note, index) => <li key={index}>{note}</li>)}
        </ul>
      )}
    </>
  );
}

export function EnmsImport({ onImported }: { onImported: () => void }) {
  const picker = useRef<HTMLInputElement>(null);
  const [file, setFile] = useState<File | null>(null);
  const [result, setResult] = useState<MigrationResult | null>(null);
  const [errors, setErrors] = useState<{ title: string; rows: RowError[] } | null>(null);
  const [busy, setBusy] = useState(false);

  const reset = () => {
    setFile(null);
    setResult(null);
    setErrors(null);
    if (picker.current) picker.current.value = "";
  };

  const send = async (chosen: File, dryRun: boolean) => {
    setBusy(true);
    setErrors(null);
    try {
      const answer = await upload<MigrationResult>(`${ENDPOINT}${dryRun ? "?dry_run=true" : ""}`, chosen);
      setResult(answer);
      if (!dryRun) onImported();
    } catch (exc) {
      const title = `${chosen.name} was not ${dryRun ? "read" : "imported"}: ${exc instanceof Error ? exc.message : String(exc)}`;
      const rows = exc instanceof ApiError && exc.errors.length ? (exc.errors as RowError[]) : [];
      setResult(null);
      setErrors({ title, rows });
    } finally {
      setBusy(false);
    }
  };

  const open = file !== null;
  return (
    <>
      <button type="button" disabled={busy} onClick={() => picker.current?.click()}>
        Import from eNMS
      </button>
      <input ref={picker} type="file" hidden aria-label="eNMS file"
        accept=".xls,.xlsx,.zip,.tar.gz,.tgz"
        onChange={(e) => {
          const chosen = (e.target as HTMLInputElement).files?.[0];
          if (chosen) {
            setFile(chosen);
            setResult(null);
            void send(chosen, true);
          }
        }} />
      {open && (
        <div class="transfer-result">
          <figure class="card" role="region" aria-label="eNMS import">
            <figcaption>
              {busy && "Reading " + file.name + "…"}
              {!busy && result?.dry_run && `Dry run of ${file.name}: nothing written yet.`}
              {!busy && result && !result.dry_run && `Imported ${file.name}.`}
              {!busy && errors && <span class="error">{errors.title}</span>}
            </figcaption>
            {result && result.changes_nothing && (
              <p class="notice ok" role="status">Nothing to change: everything is already in NetWeave.</p>
            )}
            {result && <ReportTables result={result} />}
            {errors && errors.rows.length > 0 && (
              <table class="grid" aria-label="Import errors">
                <thead><tr><th>Sheet</th><th>Row</th><th>Field</th><th>Problem</th></tr></thead>
                <tbody>
                  {errors.rows.map((error, index) => (
                    <tr key={index}>
                      <td>{error.sheet ?? ""}</td>
                      <td>{error.row ?? ""}</td>
                      <td>{error.field ?? ""}</td>
                      <td>{error.message}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            )}
            <div class="actions">
              {result?.dry_run && !result.changes_nothing && (
                <button type="button" disabled={busy} onClick={() => void send(file, false)}>
                  Import
                </button>
              )}
              <button type="button" class="quiet" disabled={busy} onClick={reset}>
                {result && !result.dry_run ? "Close" : "Cancel"}
              </button>
            </div>
          </figure>
        </div>
      )}
    </>
  );
}
