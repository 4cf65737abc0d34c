// A device's stored configurations as git history: every version with the commit holding
// it (short sha, time, message, source), two of them side by side from the repository's
// diff, the file at any commit, a backup now, and a rollback to any version or restore of
// any commit (after a confirmation that shows the dry run's diff against the running
// configuration). With the repository off (config_git false) the same page works from the
// stored versions alone.
import { useEffect, useState } from "preact/hooks";
import { api } from "../api";
import { canEdit, useUser } from "../session";
import { ChangeDialog } from "./ChangePreview";
import { rowsFromUnified, sideBySide, type Row } from "./diff";
import { DiffView } from "./DiffView";
import { GitStatusLine } from "./GitStatusLine";
import {
  gitDiff,
  gitLog,
  gitShow,
  gitStatus,
  short,
  subject,
  when,
  type GitCommit,
  type GitStatus,
  type Version,
} from "./git";
import "./git.css";

/** What the "show" panel displays: a version's text, from git when it has a commit. */
interface Shown {
  version: number;
  commit: string | null;
  time: string;
  message: string | null;
  content: string;
}

/** A rollback being confirmed: to a stored version, or to the file at a commit. */
type Restore = { version: number; commit: string | null };

export function ConfigHistory({ deviceId, deviceName }: { deviceId: number; deviceName?: string }) {
  const user = useUser();
  const [versions, setVersions] = useState<Version[] | null>(null);
  // the commit of each version (by version number); null: the repository is off
  const [commits, setCommits] = useState<Map<number, GitCommit> | null>(null);
  const [status, setStatus] = useState<GitStatus | null>(null);
  const [left, setLeft] = useState<number | null>(null);
  const [right, setRight] = useState<number | null>(null);
  const [rows, setRows] = useState<Row[] | null>(null);
  const [shown, setShown] = useState<Shown | null>(null);
  const [message, setMessage] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [restoring, setRestoring] = useState<Restore | null>(null);

  const load = async () => {
    const [found, repo] = await Promise.all([
      api<Version[]>(`/api/v1/devices/${deviceId}/configs`),
      gitStatus().catch(() => null),
    ]);
    let byVersion: Map<number, GitCommit> | null = null;
    if (repo?.enabled && found.length) {
      try {
        // the log commits what is pending first: read the status after it
        byVersion = new Map((await gitLog(deviceId)).map((c) => [c.version, c]));
        setStatus(await gitStatus().catch(() => repo));
      } catch (exc) {
        setMessage(`The configuration repository: ${exc instanceof Error ? exc.message : String(exc)}`);
        setStatus(repo);
      }
    } else setStatus(repo);
    const newest = [...found].sort((a, b) => b.version - a.version);
    setCommits(byVersion);
    setVersions(newest);
    if (newest.length >= 2) {
      setRight(newest[0].version);
      setLeft(newest[1].version);
    }
  };
  useEffect(() => {
    load().catch((exc: Error) => setMessage(exc.message));
  }, [deviceId]);

  const commitOf = (version: number | null) => (version === null ? undefined : commits?.get(version));
  useEffect(() => {
    setRows(null);
    if (left === null || right === null || !versions) return;
    const [from, to] = [commitOf(left), commitOf(right)];
    const found =
      from && to
        ? gitDiff(deviceId, from.commit, to.commit).then(rowsFromUnified)
        : Promise.all([left, right].map((v) => api<Version>(`/api/v1/devices/${deviceId}/configs/${v}`))).then(
            ([a, b]) => sideBySide(a.content ?? "", b.content ?? ""),
          );
    let current = true; // a later choice's answer wins, not the slowest one
    found.then(
      (next) => current && setRows(next),
      (exc: Error) => current && setMessage(exc.message),
    );
    return () => {
      current = false;
    };
  }, [left, right, versions, commits]);

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
  const rollback = (target: Restore, dryRun: boolean) =>
    api<{ id: string; status: string; error: string | null }>(`/api/v1/devices/${deviceId}/configs/rollback`, {
      method: "POST",
      body: JSON.stringify({
        ...(target.commit ? { commit: target.commit } : { version: target.version }),
        dry_run: dryRun,
        wait: dryRun ? 60 : 0,
      }),
    });
  const who = deviceName ?? `device ${deviceId}`;
  const view = async (version: number) => {
    const commit = commitOf(version);
    if (commit) {
      const file = await gitShow(deviceId, commit.commit);
      setShown({ version, commit: file.commit, time: file.time, message: commit.message, content: file.content });
    } else {
      const stored = await api<Version>(`/api/v1/devices/${deviceId}/configs/${version}`);
      setShown({ version, commit: null, time: stored.created_at, message: null, content: stored.content ?? "" });
    }
  };
  const latest = versions?.[0]?.version;
  const pair = (v: number | null) => {
    const commit = commitOf(v);
    return commit ? short(commit.commit) : "not committed";
  };

  return (
    <div class="config-history">
      <div class="toolbar">
        <h3>Configuration history</h3>
        {canEdit(user) && (
          <button onClick={backup} disabled={busy}>{busy ? "Backing up…" : "Back up now"}</button>
        )}
      </div>
      {status && <GitStatusLine status={status} />}
      {message && <p class="notice" role="status">{message}</p>}
      {versions && versions.length === 0 && <p class="empty">No configuration stored yet.</p>}
      {versions && versions.length > 0 && (
        <table class="grid" aria-label="Configuration versions">
          <thead>
            <tr>
              <th>Version</th>
              {commits && <th>Commit</th>}
              <th>Taken</th>
              {commits && <th>Message</th>}
              <th>Source</th><th>Size</th><th>Left</th><th>Right</th><th />
            </tr>
          </thead>
          <tbody>
            {versions.map((v) => {
              const commit = commits?.get(v.version);
              return (
                <tr key={v.version}>
                  <td><button class="link" onClick={() => view(v.version)}>v{v.version}</button></td>
                  {commits && (
                    <td>
                      {commit ? (
                        <button class="link sha" title={commit.commit} aria-label={`Show commit ${short(commit.commit)}`}
                          onClick={() => view(v.version)}>
                          {short(commit.commit)}
                        </button>
                      ) : <span class="empty">pending</span>}
                    </td>
                  )}
                  <td class="nowrap">{when(commit?.time ?? v.created_at)}</td>
                  {commits && <td class="commit-message" title={commit?.message}>{commit ? subject(commit.message) : ""}</td>}
                  <td>{v.run_id ? <a href={`#/runs/${v.run_id}`}>{v.source}</a> : v.source}</td>
                  <td class="nowrap">{v.size} B</td>
                  <td><input type="radio" name="left" aria-label={`Left v${v.version}`} checked={left === v.version} onChange={() => setLeft(v.version)} /></td>
                  <td><input type="radio" name="right" aria-label={`Right v${v.version}`} checked={right === v.version} onChange={() => setRight(v.version)} /></td>
                  <td class="actions">
                    {canEdit(user) && v.version !== latest && (
                      <button class="quiet" onClick={() => setRestoring({ version: v.version, commit: null })}>
                        Roll back to v{v.version}
                      </button>
                    )}
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      )}
      {restoring !== null && (
        <ChangeDialog
          title={restoring.commit
            ? `Restore ${who} to commit ${short(restoring.commit)} (v${restoring.version})`
            : `Roll back ${who} to v${restoring.version}`}
          confirmLabel={() => restoring.commit
            ? `Restore ${who} to commit ${short(restoring.commit)}`
            : `Roll back ${who} to v${restoring.version}`}
          preview={() => rollback(restoring, true)}
          apply={() => rollback(restoring, false)}
          onClose={() => setRestoring(null)}
        />
      )}
      {rows && left !== null && right !== null && (
        <DiffView
          rows={rows}
          caption={`Version ${left} ↔ version ${right}${commits ? ` · ${pair(left)} → ${pair(right)}` : ""}`}
        />
      )}
      {shown && (
        <figure class="card" aria-label={`Configuration v${shown.version}`}>
          <figcaption class="shown">
            <span>
              Version {shown.version}
              {shown.commit && <> · commit <code title={shown.commit}>{short(shown.commit)}</code></>}
              {" · "}{when(shown.time)}
              {shown.message && <> · {subject(shown.message)}</>}
            </span>
            {canEdit(user) && shown.commit && shown.version !== latest && (
              <button class="quiet" onClick={() => setRestoring({ version: shown.version, commit: shown.commit })}>
                Restore this commit
              </button>
            )}
            <button class="quiet" onClick={() => setShown(null)}>Close</button>
          </figcaption>
          <pre class="result">{shown.content}</pre>
        </figure>
      )}
    </div>
  );
}
