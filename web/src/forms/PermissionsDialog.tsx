// Who may read, run and edit one service, workflow, task, event rule, credential or pool
// (GET/PUT /api/v1/access/{kind}/{id}). Open: every role as usual. Restricted: only admins,
// its owner and the groups granted here reach it; everyone else does not see it at all.
// Admins and the owner change it (admins also hand it to another owner); anyone else sees
// it read-only. Every table of those kinds offers a "Permissions" row action; the dialog
// is drawn at the page's level (not inside the table cell, whose styles it would inherit).
import type { ComponentChildren } from "preact";
import { useEffect, useState } from "preact/hooks";
import { api, ApiError } from "../api";
import { useUser } from "../session";

export type AccessKind = "service" | "workflow" | "task" | "event_rule" | "credential" | "pool";
export type Right = "read" | "run" | "edit";
export const RIGHTS: Right[] = ["read", "run", "edit"];

export interface Grant {
  group: string;
  read: boolean;
  run: boolean;
  edit: boolean;
}

export interface ObjectAccess {
  kind: AccessKind;
  object_id: number;
  name: string;
  owner: string;
  restricted: boolean;
  grants: Grant[];
  mine: Right[];
  manage: boolean;
}

/** The object a dialog is about. */
export interface AccessTarget {
  kind: AccessKind;
  id: number;
  name: string;
}

export const NOUNS: Record<AccessKind, string> = {
  service: "service",
  workflow: "workflow",
  task: "task",
  event_rule: "event rule",
  credential: "credential",
  pool: "pool",
};

/** An opener for the dialog and the dialog itself (null while closed), to draw at the
 * page's level: ``const [openPermissions, permissions] = usePermissions();``. */
export function usePermissions(
  onClosed?: () => void,
): [(target: AccessTarget) => void, ComponentChildren] {
  const [target, setTarget] = useState<AccessTarget | null>(null);
  const dialog = target && (
    <PermissionsDialog key={`${target.kind}-${target.id}`} target={target}
      onClose={() => {
        setTarget(null);
        onClosed?.();
      }} />
  );
  return [setTarget, dialog];
}

/** The "Permissions" button of a row or a page header. */
export function PermissionsButton({ target, open }: {
  target: AccessTarget;
  open: (target: AccessTarget) => void;
}) {
  return (
    <button type="button" class="quiet" aria-label={`Permissions of ${target.name}`}
      onClick={() => open(target)}>
      Permissions
    </button>
  );
}

interface Failure {
  text: string;
  field: string | null;
}

function failure(exc: unknown): Failure {
  if (exc instanceof ApiError) return { text: exc.message, field: exc.field ?? exc.errors[0]?.field ?? null };
  return { text: String(exc), field: null };
}

/** The row a field such as "grants[2].group" or "grants.2" names, if any. */
function grantIndex(field: string | null): number | null {
  const found = field?.match(/^grants(?:\[(\d+)\]|\.(\d+))/);
  return found ? Number(found[1] ?? found[2]) : null;
}

export function PermissionsDialog({ target, onClose }: { target: AccessTarget; onClose: () => void }) {
  const me = useUser();
  const admin = me.role === "admin";
  const [access, setAccess] = useState<ObjectAccess | null>(null);
  const [restricted, setRestricted] = useState(false);
  const [grants, setGrants] = useState<Grant[]>([]);
  const [owner, setOwner] = useState("");
  const [groups, setGroups] = useState<string[]>([]);
  const [users, setUsers] = useState<string[]>([]);
  const [problem, setProblem] = useState<Failure | null>(null);
  const [status, setStatus] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const noun = NOUNS[target.kind];
  const title = `Permissions of ${noun} ${target.name}`;
  const path = `/api/v1/access/${target.kind}/${target.id}`;

  const show = (found: ObjectAccess) => {
    setAccess(found);
    setRestricted(found.restricted);
    setGrants(found.grants.map((g) => ({ ...g })));
    setOwner(found.owner);
  };
  useEffect(() => {
    api<ObjectAccess>(path).then(
      (found) => {
        show(found);
        if (!found.manage) return;
        api<string[]>("/api/v1/access/groups").then(setGroups, (exc: unknown) => setProblem(failure(exc)));
        if (admin)
          api<{ username: string }[]>("/api/v1/users").then(
            (all) => setUsers(all.map((u) => u.username)),
            () => undefined, // only the owner field's suggestions
          );
      },
      (exc: unknown) => setProblem(failure(exc)),
    );
  }, [path]);
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => e.key === "Escape" && !busy && onClose();
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  }, [busy]);

  const editable = Boolean(access?.manage) && !busy;
  const unused = groups.filter((name) => !grants.some((g) => g.group === name));
  const change = (index: number, next: Partial<Grant>) => {
    setStatus(null);
    setGrants(grants.map((g, i) => (i === index ? { ...g, ...next } : g)));
  };
  const tick = (index: number, right: Right, on: boolean) => {
    // run and edit imply read: ticking them ticks read, unticking read unticks them
    if (right === "read") change(index, on ? { read: true } : { read: false, run: false, edit: false });
    else change(index, on ? { [right]: true, read: true } : { [right]: false });
  };
  const add = () => {
    setStatus(null);
    setGrants([...grants, { group: unused[0], read: true, run: false, edit: false }]);
  };
  const remove = (index: number) => {
    setStatus(null);
    setGrants(grants.filter((_, i) => i !== index));
  };

  const save = async (event: Event) => {
    event.preventDefault();
    if (!access?.manage) return;
    setBusy(true);
    setProblem(null);
    setStatus(null);
    const body: Record<string, unknown> = { restricted, grants: restricted ? grants : [] };
    if (admin && owner.trim() !== access.owner) body.owner = owner.trim();
    try {
      show(await api<ObjectAccess>(path, { method: "PUT", body: JSON.stringify(body) }));
      setStatus("Permissions saved.");
    } catch (exc) {
      setProblem(failure(exc));
    } finally {
      setBusy(false);
    }
  };

  const badRow = grantIndex(problem?.field ?? null);
  return (
    <div class="overlay" onClick={(e) => e.target === e.currentTarget && !busy && onClose()}>
      <form class="dialog permissions" role="dialog" aria-modal="true" aria-label={title} onSubmit={save}>
        <header>
          <h3>{title}</h3>
          <button type="button" class="quiet" aria-label="Close" onClick={onClose}>✕</button>
        </header>
        {!access && !problem && <p class="empty">Loading the permissions…</p>}
        {access && (
          <fieldset class="access-form" disabled={!editable}>
            {!access.manage && (
              <p class="notice" role="note">
                Read-only: only admins and its owner ({access.owner || "none"}) change these
                permissions.
              </p>
            )}
            <div class="access-owner">
              {admin ? (
                <label>
                  Owner
                  <input value={owner} list="access-users" placeholder="none (the system's)"
                    aria-invalid={problem?.field === "owner"}
                    onInput={(e) => {
                      setStatus(null);
                      setOwner((e.target as HTMLInputElement).value);
                    }} />
                  <datalist id="access-users">
                    {users.map((name) => <option key={name} value={name} />)}
                  </datalist>
                </label>
              ) : (
                <span>Owner: <strong class="access-owner-name">{access.owner || "none"}</strong></span>
              )}
              <span class="muted">You may: {access.mine.length ? access.mine.join(", ") : "nothing"}</span>
            </div>
            <label class="access-restricted">
              <input type="checkbox" checked={restricted}
                onChange={(e) => {
                  setStatus(null);
                  setRestricted((e.target as HTMLInputElement).checked);
                }} />
              Restricted
            </label>
            <small class="help">
              Open: every role as usual. Restricted: only admins, the owner and the groups
              below. Grants narrow, never widen: viewers only read, and only admins edit
              credentials.
            </small>
            {restricted ? (
              <table class="grid access-grants" aria-label="Grants">
                <thead>
                  <tr>
                    <th scope="col">Group</th>
                    {RIGHTS.map((right) => <th key={right} scope="col" class="right">{right[0].toUpperCase() + right.slice(1)}</th>)}
                    <th scope="col"><span class="sr-only">Remove</span></th>
                  </tr>
                </thead>
                <tbody>
                  {grants.map((grant, index) => (
                    <tr key={index} class={badRow === index ? "invalid" : undefined} data-grant={grant.group}>
                      <td>
                        <select aria-label={`Group of grant ${index + 1}`} value={grant.group}
                          aria-invalid={badRow === index}
                          onChange={(e) => change(index, { group: (e.target as HTMLSelectElement).value })}>
                          {[grant.group, ...unused].map((name) => <option key={name} value={name}>{name}</option>)}
                        </select>
                      </td>
                      {RIGHTS.map((right) => (
                        <td key={right} class="right">
                          <input type="checkbox" aria-label={`${right} for ${grant.group}`} checked={grant[right]}
                            onChange={(e) => tick(index, right, (e.target as HTMLInputElement).checked)} />
                        </td>
                      ))}
                      <td class="actions">
                        <button type="button" class="quiet" aria-label={`Remove ${grant.group}`}
                          onClick={() => remove(index)}>
                          Remove
                        </button>
                      </td>
                    </tr>
                  ))}
                  {!grants.length && (
                    <tr>
                      <td colSpan={5} class="muted">
                        No group: only admins and the owner reach it.
                      </td>
                    </tr>
                  )}
                </tbody>
              </table>
            ) : (
              grants.length > 0 && (
                <p class="muted">Saving it open drops its {grants.length} grant(s).</p>
              )
            )}
            {restricted && access.manage && (
              <p>
                <button type="button" class="quiet" disabled={!unused.length || !editable} onClick={add}>
                  Add group
                </button>
                {!groups.length && <span class="muted"> No groups yet: admins create them on the Admin page.</span>}
              </p>
            )}
          </fieldset>
        )}
        {problem && (
          <p class="error" role="alert">
            {problem.text}
            {problem.field && <> <code class="field-name">({problem.field})</code></>}
          </p>
        )}
        {status && <p class="notice ok" role="status">{status}</p>}
        <footer>
          <button type="button" class="quiet" onClick={onClose}>{access?.manage && !status ? "Cancel" : "Done"}</button>
          <button type="submit" disabled={!editable}>Save</button>
        </footer>
      </form>
    </div>
  );
}
