// A device's stored configurations: every version, two of them side by side with the
// changed lines marked, a backup now, and a rollback to any version (after a confirmation
// that shows the dry run's diff against the running configuration).
import { useEffect, useState } from "preact/hooks";
import { api } from "../api";
import { canEdit, useUser } from "../session";
import { ChangeDialog } from "./ChangePreview";
import { sideBySide, type Row } from "./diff";

interface Version {
  version: number;
  sha256: string;
  size: number;
  source: string;
  run_id: string | null;
  created_at: string;
  content?: string | null;
}

function DiffView({ rows, left, right }: { rows: Row[]; left: number; right: number }) {
  const changes = rows.filter((r) => r.kind !== "same" && r.kind !== "fold").length;
  return (
    <figure class="card diff-view" aria-label="Configuration difference">
      <figcaption>
        Version {left} ↔ version {right}: {changes ? `${changes} changed line${changes > 1 ? "s" : ""}` : "identical"}
      </figcaption>
      <table class="sbs">
        <colgroup>
          <col class="ln" />
          <col />
          <col class="ln" />
          <col />
        </colgroup>
        <tbody>
          {rows.map((row, index) =>
            row.kind === "fold" ? (
              <tr key={index} class="fold">
                <td colSpan={4}>⋯ {row.folded} unchanged line{row.folded === 1 ? "" : "s"}</td>
              </tr>
            ) : (
              <tr key={index} class={row.kind}>
                <td class="ln">{row.left?.number ?? ""}</td>
                <td class={`code ${row.left && row.kind !== "same" ? "old" : ""}`}>{row.left?.text ?? ""}</td>
                <td class="ln">{row.right?.number ?? ""}</td>
                <td class={`code ${row.right && row.kind !== "same" ? "new" : ""}`}>{row.right?.text ?? ""}</td>
              </tr>
            ),
          )}
        </tbody>
      </table>
    </figure>
  );
}

export function ConfigHistory({ deviceId, deviceName }: { deviceId: number; deviceName?: string }) {
  const user = useUser();
  const [versions, setVersions] = useState<Version[] | null>(null);
  const [left, setLeft] = useState<number | null>(null);
  const [right, setRight] = useState<number | null>(null);
  const [rows, setRows] = useState<Row[] | null>(null);
  const [shown, setShown] = useState<Version | null>(null);
  const [message, setMessage] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [rollingBack, setRollingBack] = useState<number | null>(null);

  const load = () =>
    api<Version[]>(`/api/v1/devices/${deviceId}/configs`).then((found) => {
      const newest = [...found].sort((a, b) => b.version - a.version);
      setVersions(newest);
      if (newest.length >= 2) {
        setRight(newest[0].version);
        setLeft(newest[1].version);
      }
    });
  useEffect(() => {
    void load();
  }, [deviceId]);
  useEffect(() => {
    setRows(null);
    if (left === null || right === null) return;
    Promise.all([left, right].map((v) => api<Version>(`/api/v1/devices/${deviceId}/configs/${v}`))).then(
      ([a, b]) => setRows(sideBySide(a.content ?? "", b.content ?? "")),
      (exc: Error) => setMessage(exc.message),
    );
  }, [left, right]);

  const backup = async () => {
    setBusy(true);
    setMessage(null);
    try {
      const run = await api<{ id: string; status: string }>(
        `/api/v1/devices/${deviceId}/configs/backup?wait=60`,
        { method: "POST" },
      );
      setMessage(`Backup ${run.status}.`);
      await load();
    } catch (exc) {
      setMessage(exc instanceof Error ? exc.message : String(exc));
    } finally {
      setBusy(false);
    }
  };
  const rollback = (version: number, dryRun: boolean) =>
    api<{ id: string; status: string; error: string | null }>(
      `/api/v1/devices/${deviceId}/configs/rollback`,
      { method: "POST", body: JSON.stringify({ version, dry_run: dryRun, wait: dryRun ? 60 : 0 }) },
    );
  const who = deviceName ?? `device ${deviceId}`;
  const view = async (version: number) =>
    setShown(await api<Version>(`/api/v1/devices/${deviceId}/configs/${version}`));

  return (
    <div class="config-history">
      <div class="toolbar">
        <h3>Configuration history</h3>
        {canEdit(user) && (
          <button onClick={backup} disabled={busy}>{busy ? "Backing up…" : "Back up now"}</button>
        )}
      </div>
      {message && <p class="notice" role="status">{message}</p>}
      {versions && versions.length === 0 && <p class="empty">No configuration stored yet.</p>}
      {versions && versions.length > 0 && (
        <table class="grid" aria-label="Configuration versions">
          <thead>
            <tr>
              <th>Version</th><th>Taken</th><th>Source</th><th>Size</th><th>Left</th><th>Right</th><th />
            </tr>
          </thead>
          <tbody>
            {versions.map((v) => (
              <tr key={v.version}>
                <td><button class="link" onClick={() => view(v.version)}>v{v.version}</button></td>
                <td>{new Date(v.created_at).toLocaleString()}</td>
                <td>{v.run_id ? <a href={`#/runs/${v.run_id}`}>{v.source}</a> : v.source}</td>
                <td>{v.size} B</td>
                <td><input type="radio" name="left" aria-label={`Left v${v.version}`} checked={left === v.version} onChange={() => setLeft(v.version)} /></td>
                <td><input type="radio" name="right" aria-label={`Right v${v.version}`} checked={right === v.version} onChange={() => setRight(v.version)} /></td>
                <td class="actions">
                  {canEdit(user) && v.version !== versions[0].version && (
                    <button class="quiet" onClick={() => setRollingBack(v.version)}>Roll back to v{v.version}</button>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {rollingBack !== null && (
        <ChangeDialog
          title={`Roll back ${who} to v${rollingBack}`}
          confirmLabel={() => `Roll back ${who} to v${rollingBack}`}
          preview={() => rollback(rollingBack, true)}
          apply={() => rollback(rollingBack, false)}
          onClose={() => setRollingBack(null)}
        />
      )}
      {rows && left !== null && right !== null && <DiffView rows={rows} left={left} right={right} />}
      {shown && (
        <figure class="card" aria-label={`Configuration v${shown.version}`}>
          <figcaption>
            Version {shown.version} <button class="quiet" onClick={() => setShown(null)}>Close</button>
          </figcaption>
          <pre class="result">{shown.content}</pre>
        </figure>
      )}
    </div>
  );
}
