// Import (Excel, CSV, YAML) with the row-by-row error report, and export links.
import { useRef, useState } from "preact/hooks";
import { ApiError, upload } from "../api";
import { EnmsImport } from "./EnmsImport";

interface ImportResult {
  created: Record<string, number>;
  updated: Record<string, number>;
  unchanged: Record<string, number>;
  dry_run: boolean;
}

interface RowError {
  sheet?: string;
  row?: number;
  field?: string;
  message: string;
}

function summary(result: ImportResult): string {
  const parts: string[] = [];
  for (const [label, counts] of [
    ["created", result.created],
    ["updated", result.updated],
    ["unchanged", result.unchanged],
  ] as const) {
    const listed = Object.entries(counts)
      .filter(([, n]) => n)
      .map(([kind, n]) => `${n} ${kind}`);
    if (listed.length) parts.push(`${label} ${listed.join(", ")}`);
  }
  return parts.length ? parts.join("; ") : "nothing to change";
}

export function TransferBar({
  kind,
  canImport,
  canMigrate = false,
  onImported,
}: {
  kind: "devices" | "links" | "pools" | "credentials";
  canImport: boolean;
  /** Admins: "Import from eNMS" (it makes credentials, users and privileged services). */
  canMigrate?: boolean;
  onImported: () => void;
}) {
  const picker = useRef<HTMLInputElement>(null);
  const [report, setReport] = useState<{ title: string; errors: RowError[] } | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const send = async (file: File) => {
    setBusy(true);
    setReport(null);
    setNotice(null);
    try {
      const result = await upload<ImportResult>(
        `/api/v1/inventory/import?kind=${kind}`,
        file,
      );
      setNotice(`Imported ${file.name}: ${summary(result)}.`);
      onImported();
    } catch (exc) {
      if (exc instanceof ApiError && exc.errors.length) {
        setReport({ title: `${file.name} was not imported: ${exc.message}`, errors: exc.errors as RowError[] });
      } else {
        setReport({ title: `${file.name} was not imported`, errors: [{ message: exc instanceof Error ? exc.message : String(exc) }] });
      }
    } finally {
      setBusy(false);
      if (picker.current) picker.current.value = "";
    }
  };

  return (
    <>
      <details class="menu">
        <summary role="button">Export</summary>
        <div class="menu-items" role="menu">
          <a role="menuitem" href="/api/v1/inventory/export?format=xlsx" download>Excel (whole inventory)</a>
          <a role="menuitem" href={`/api/v1/inventory/export?format=csv&kind=${kind}`} download>CSV ({kind})</a>
          <a role="menuitem" href="/api/v1/inventory/export?format=yaml" download>YAML (whole inventory)</a>
        </div>
      </details>
      {canImport && (
        <>
          <button type="button" disabled={busy} onClick={() => picker.current?.click()}>
            {busy ? "Importing…" : "Import"}
          </button>
          <input ref={picker} type="file" hidden aria-label="Import file"
            accept=".xlsx,.csv,.yaml,.yml"
            onChange={(e) => {
              const file = (e.target as HTMLInputElement).files?.[0];
              if (file) void send(file);
            }} />
        </>
      )}
      {canMigrate && <EnmsImport onImported={onImported} />}
      {(notice || report) && (
        <div class="transfer-result">
          {notice && <p class="notice ok" role="status">{notice}</p>}
          {report && (
            <figure class="card report" aria-label="Import errors">
              <figcaption class="error">{report.title}</figcaption>
              <table class="grid">
                <thead>
                  <tr><th>Sheet</th><th>Row</th><th>Field</th><th>Problem</th></tr>
                </thead>
                <tbody>
                  {report.errors.map((error, index) => (
                    <tr key={index}>
                      <td>{error.sheet ?? ""}</td>
                      <td>{error.row ?? ""}</td>
                      <td>{error.field ?? ""}</td>
                      <td>{error.message}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
              <button class="quiet" onClick={() => setReport(null)}>Dismiss</button>
            </figure>
          )}
        </div>
      )}
    </>
  );
}
