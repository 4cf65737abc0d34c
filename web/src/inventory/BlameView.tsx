// Blame of a device's configuration: each line with the commit, date and version where it
// first appeared (a gutter shown at the start of each run of lines from one commit; hovering
// it shows the commit message), the lines the blamed version added highlighted. Any commit
// of the device can be blamed; the default is its latest.
import { useEffect, useState } from "preact/hooks";
import { gitBlame, gitLog, short, when, type GitBlame, type GitCommit } from "./git";
import "./git.css";

export function BlameView({ deviceId, command = "" }: { deviceId: number; command?: string }) {
  const [log, setLog] = useState<GitCommit[] | null>(null);
  const [at, setAt] = useState<string>(""); // "": the latest commit
  const [blame, setBlame] = useState<GitBlame | null>(null);
  const [problem, setProblem] = useState<string | null>(null);

  useEffect(() => {
    gitLog(deviceId, command).then(setLog, (exc: Error) => setProblem(exc.message));
  }, [deviceId, command]);
  useEffect(() => {
    if (!log?.length) return;
    let current = true;
    setBlame(null);
    gitBlame(deviceId, command, at || undefined).then(
      (found) => current && setBlame(found),
      (exc: Error) => current && setProblem(exc.message),
    );
    return () => {
      current = false;
    };
  }, [log, at]);

  if (problem) return <p class="error" role="alert">{problem}</p>;
  if (log && !log.length) return <p class="empty">No configuration stored yet.</p>;
  const messages = new Map((log ?? []).map((c) => [c.commit, c.message]));
  const mixed = blame ? blame.lines.some((l) => l.commit !== blame.commit) : false;
  const added = blame ? blame.lines.filter((l) => l.commit === blame.commit).length : 0;
  return (
    <div class="blame-view">
      <div class="toolbar">
        <h3>Blame</h3>
        {log && (
          <label>
            At{" "}
            <select value={at} onChange={(e) => setAt((e.target as HTMLSelectElement).value)}>
              {log.map((c, index) => (
                <option key={c.commit} value={index === 0 ? "" : c.commit}>
                  v{c.version} · {short(c.commit)}{index === 0 ? " (latest)" : ""}
                </option>
              ))}
            </select>
          </label>
        )}
      </div>
      {!blame && <p class="meta" role="status">Reading the history…</p>}
      {blame && (
        <figure class="card" aria-label="Configuration blame">
          <figcaption>
            v{blame.version} · commit <code title={blame.commit}>{short(blame.commit)}</code> · {blame.lines.length} lines
            {mixed ? `, ${added} first seen in this version (highlighted)` : ", all from this version"}
            {blame.truncated && " · the walk stopped at its bound: older lines are attributed to the oldest version read"}
          </figcaption>
          <table class="blame">
            <tbody>
              {blame.lines.map((line, index) => {
                const first = index === 0 || blame.lines[index - 1].commit !== line.commit;
                const message = messages.get(line.commit);
                const hover = `${short(line.commit)} · ${when(line.time)}${message ? `\n${message}` : ""}`;
                return (
                  <tr key={line.line_number} class={mixed && line.commit === blame.commit ? "latest" : undefined}
                    data-commit={line.commit}>
                    <td class={`gutter${first ? " first" : ""}`} title={hover}>
                      {first && (
                        <>
                          <code class="sha">{short(line.commit)}</code>{" "}
                          <span class="date">{new Date(line.time).toLocaleDateString()}</span>{" "}
                          <span class="version">v{line.version ?? "?"}</span>
                        </>
                      )}
                    </td>
                    <td class="ln">{line.line_number}</td>
                    <td class="code">{line.line}</td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </figure>
      )}
    </div>
  );
}
