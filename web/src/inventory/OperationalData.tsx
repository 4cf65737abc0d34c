// A device's operational data: the show command outputs each configuration backup stores
// (show version, show ip route…), each with its latest version. Choosing a command lists
// its versions, shows an output and the difference between two versions (volatile parts
// such as uptimes and counters do not make new versions).
import { useEffect, useState } from "preact/hooks";
import { api } from "../api";
import { rowsFromUnified, type Row } from "./diff";
import { DiffView } from "./DiffView";
import { short, text, when, type Operational } from "./git";
import "./git.css";

function CommandHistory({ deviceId, command }: { deviceId: number; command: Operational }) {
  const base = `/api/v1/devices/${deviceId}/operational/${encodeURIComponent(command.slug)}`;
  const [versions, setVersions] = useState<Operational[] | null>(null);
  const [left, setLeft] = useState<number | null>(null);
  const [right, setRight] = useState<number | null>(null);
  const [rows, setRows] = useState<Row[] | null>(null);
  const [shown, setShown] = useState<Operational | null>(null);
  const [problem, setProblem] = useState<string | null>(null);

  const view = (version: number) =>
    api<Operational>(`${base}?version=${version}`).then(setShown, (exc: Error) => setProblem(exc.message));
  useEffect(() => {
    setShown(null);
    setRows(null);
    api<Operational[]>(`${base}/history`).then((found) => {
      setVersions(found);
      setRight(found[0]?.version ?? null);
      setLeft(found[1]?.version ?? null);
      if (found.length) void view(found[0].version);
    }, (exc: Error) => setProblem(exc.message));
  }, [base]);
  useEffect(() => {
    setRows(null);
    if (left === null || right === null) return;
    let current = true;
    text(`${base}/diff?first=${left}&second=${right}`).then(
      (diff) => current && setRows(rowsFromUnified(diff)),
      (exc: Error) => current && setProblem(exc.message),
    );
    return () => {
      current = false;
    };
  }, [base, left, right]);

  return (
    <div class="command-history" role="region" aria-label={`History of ${command.command}`}>
      <h4>{command.command}</h4>
      {problem && <p class="error" role="alert">{problem}</p>}
      {versions && (
        <table class="grid" aria-label={`Versions of ${command.command}`}>
          <thead>
            <tr><th>Version</th><th>Commit</th><th>Taken</th><th>Source</th><th>Size</th><th>Left</th><th>Right</th></tr>
          </thead>
          <tbody>
            {versions.map((v) => (
              <tr key={v.version} class={shown?.version === v.version ? "selected" : undefined}>
                <td><button class="link" onClick={() => view(v.version)}>v{v.version}</button></td>
                <td>{v.commit ? <code title={v.commit}>{short(v.commit)}</code> : <span class="empty">—</span>}</td>
                <td>{when(v.created_at)}</td>
                <td>{v.run_id ? <a href={`#/runs/${v.run_id}`}>{v.source}</a> : v.source}</td>
                <td>{v.size} B</td>
                <td><input type="radio" name="op-left" aria-label={`Left v${v.version}`} checked={left === v.version} onChange={() => setLeft(v.version)} /></td>
                <td><input type="radio" name="op-right" aria-label={`Right v${v.version}`} checked={right === v.version} onChange={() => setRight(v.version)} /></td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {versions && versions.length < 2 && <p class="meta">One version so far: the output has not changed.</p>}
      {rows && left !== null && right !== null && (
        <DiffView rows={rows} caption={`${command.command}: version ${left} ↔ version ${right}`} label="Output difference" />
      )}
      {shown && (
        <figure class="card" aria-label={`Output of ${command.command} v${shown.version}`}>
          <figcaption>
            {command.command} · v{shown.version} · {when(shown.created_at)}
            {shown.commit && <> · commit <code title={shown.commit}>{short(shown.commit)}</code></>}
          </figcaption>
          <pre class="result">{shown.content}</pre>
        </figure>
      )}
    </div>
  );
}

export function OperationalData({ deviceId }: { deviceId: number }) {
  const [commands, setCommands] = useState<Operational[] | null>(null);
  const [chosen, setChosen] = useState<Operational | null>(null);
  const [problem, setProblem] = useState<string | null>(null);
  useEffect(() => {
    api<Operational[]>(`/api/v1/devices/${deviceId}/operational`).then(setCommands, (exc: Error) =>
      setProblem(exc.message),
    );
  }, [deviceId]);

  if (problem) return <p class="error" role="alert">{problem}</p>;
  if (!commands) return null;
  return (
    <div class="operational-data">
      <h3>Operational data</h3>
      {!commands.length && (
        <p class="empty">No show command output stored yet: a configuration backup stores them.</p>
      )}
      {commands.length > 0 && (
        <table class="grid" aria-label="Show commands">
          <thead>
            <tr><th>Command</th><th>Latest</th><th>Taken</th><th>Commit</th><th>Size</th></tr>
          </thead>
          <tbody>
            {commands.map((c) => (
              <tr key={c.slug} class={chosen?.slug === c.slug ? "selected" : undefined}>
                <td><button class="link" onClick={() => setChosen(c)}>{c.command}</button></td>
                <td>v{c.version}</td>
                <td>{when(c.created_at)}</td>
                <td>{c.commit ? <code title={c.commit}>{short(c.commit)}</code> : <span class="empty">—</span>}</td>
                <td>{c.size} B</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {chosen && <CommandHistory key={chosen.slug} deviceId={deviceId} command={chosen} />}
    </div>
  );
}
