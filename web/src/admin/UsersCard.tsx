// Users (admins only): add, change role, enable/disable, reset the password to a one-time
// password, require a new password at the next sign-in (local users), fence to pools, delete
// (handing over what they own). The API refuses what is refused here too (yourself, the last
// active admin): its message is shown as is.
import { useEffect, useState } from "preact/hooks";
import { api, type Page } from "../api";
import { ConfirmDialog } from "../forms/ConfirmDialog";
import { useUser } from "../session";
import { message, ROLES, type UserRow, when } from "./common";
import { DeleteUserDialog } from "./DeleteUserDialog";
import { UserRights } from "./GroupsCard";
import "./users.css";

interface Fence {
  pools: string[];
  restricted: boolean;
  missing_pools: number;
}

interface Props {
  users: UserRow[];
  reload: () => Promise<void>;
}

export function UsersCard({ users, reload }: Props) {
  const me = useUser();
  const [error, setError] = useState<string | null>(null);
  const [status, setStatus] = useState<string | null>(null);
  const [form, setForm] = useState({ username: "", password: "", role: "viewer" });
  const [deleting, setDeleting] = useState<UserRow | null>(null);
  const [resetting, setResetting] = useState<UserRow | null>(null);
  const [oneTime, setOneTime] = useState<{ username: string; password: string } | null>(null);
  const [fencing, setFencing] = useState<UserRow | null>(null);
  const [fences, setFences] = useState<Record<number, Fence>>({});

  const loadFences = async () => {
    const found: Record<number, Fence> = {};
    await Promise.all(
      users.map(async (u) => {
        found[u.id] = await api<Fence>(`/api/v1/users/${u.id}/pools`);
      }),
    );
    setFences(found);
  };
  useEffect(() => {
    loadFences().catch((exc) => setError(message(exc)));
  }, [users]);

  const act = async (done: string, call: () => Promise<unknown>) => {
    setError(null);
    setStatus(null);
    try {
      await call();
      setStatus(done);
      await reload();
    } catch (exc) {
      setError(message(exc));
    }
  };
  const patch = (u: UserRow, body: object) =>
    api(`/api/v1/users/${u.id}`, { method: "PATCH", body: JSON.stringify(body) });

  const addUser = (event: Event) => {
    event.preventDefault();
    act(`User ${form.username} added.`, async () => {
      await api("/api/v1/users", { method: "POST", body: JSON.stringify(form) });
      setForm({ username: "", password: "", role: "viewer" });
    });
  };

  return (
    <figure class="card wide" aria-label="Users">
      <figcaption>Users</figcaption>
      {error && <p class="error" role="alert">{error}</p>}
      {status && <p class="notice ok" role="status">{status}</p>}
      {oneTime && (
        <p class="notice" role="status" aria-label="One-time password">
          One-time password for <strong>{oneTime.username}</strong> (shown once; it signs in
          once and then asks for a new password): <code class="secret">{oneTime.password}</code>
        </p>
      )}
      <table class="grid users">
        <thead>
          <tr>
            <th>User</th><th>Role</th><th>Rights</th><th>State</th><th>Pools</th><th>Last sign-in</th>
            <th>Actions</th>
          </tr>
        </thead>
        <tbody>
          {users.map((u) => {
            const self = u.id === me.id;
            const fence = fences[u.id];
            return (
              <tr key={u.id} data-user={u.username}>
                <td>{u.username}{self && <span class="muted"> (you)</span>}</td>
                <td>
                  <select aria-label={`Role of ${u.username}`} value={u.role} disabled={self}
                    title={self ? "Another admin changes your role" : undefined}
                    onChange={(e) => {
                      const role = (e.target as HTMLSelectElement).value;
                      act(`${u.username} is now ${role}.`, () => patch(u, { role }));
                    }}>
                    {ROLES.map((r) => <option key={r} value={r}>{r}</option>)}
                  </select>
                </td>
                <td><UserRights user={u} stamp={users} /></td>
                <td>
                  {u.is_active ? "active" : "disabled"}
                  {u.must_change_password && <span class="muted"> · new password due</span>}
                </td>
                <td>
                  {u.role === "admin"
                    ? <span class="muted">all (admin)</span>
                    : fence && fence.pools.length
                      ? fence.pools.join(", ")
                      : fence?.restricted
                        ? "none (pools deleted)"
                        : <span class="muted">all</span>}
                </td>
                <td>{when(u.last_login_at)}</td>
                <td class="actions">
                  {!self && (
                    <>
                      <button class="quiet" aria-label={`${u.is_active ? "Disable" : "Enable"} ${u.username}`}
                        onClick={() =>
                          act(
                            `${u.username} ${u.is_active ? "disabled: their sessions and API keys stop working" : "enabled"}.`,
                            () => patch(u, { is_active: !u.is_active }),
                          )
                        }>
                        {u.is_active ? "Disable" : "Enable"}
                      </button>
                      {u.role !== "admin" && (
                        <button class="quiet" aria-label={`Pools of ${u.username}`}
                          onClick={() => setFencing(u)}>
                          Pools…
                        </button>
                      )}
                      <button class="quiet" aria-label={`Reset password of ${u.username}`}
                        onClick={() => setResetting(u)}>
                        Reset password
                      </button>
                      <PasswordDue user={u} act={act} patch={patch} />
                      <button class="danger" aria-label={`Delete ${u.username}`}
                        onClick={() => setDeleting(u)}>
                        Delete
                      </button>
                    </>
                  )}
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
      <form class="inline" onSubmit={addUser} aria-label="New user">
        <input aria-label="New username" placeholder="username" required value={form.username}
          onInput={(e) => setForm({ ...form, username: (e.target as HTMLInputElement).value })} />
        <input aria-label="New password" type="password" placeholder="password (12+)" required
          autocomplete="new-password" value={form.password}
          onInput={(e) => setForm({ ...form, password: (e.target as HTMLInputElement).value })} />
        <select aria-label="New role" value={form.role}
          onChange={(e) => setForm({ ...form, role: (e.target as HTMLSelectElement).value })}>
          {ROLES.map((r) => <option key={r} value={r}>{r}</option>)}
        </select>
        <button type="submit">Add user</button>
      </form>
      {deleting && (
        <DeleteUserDialog
          user={deleting}
          users={users}
          onDeleted={async (heir) => {
            setError(null);
            setStatus(
              heir
                ? `User ${deleting.username} deleted; what they owned now belongs to ${heir}.`
                : `User ${deleting.username} deleted.`,
            );
            await reload();
          }}
          onClose={() => setDeleting(null)}
        />
      )}
      {resetting && (
        <ConfirmDialog
          title={`Reset the password of ${resetting.username}?`}
          confirmLabel="Reset password"
          onConfirm={async () => {
            const answer = await api<{ password: string }>(
              `/api/v1/users/${resetting.id}/password-reset`,
              { method: "POST" },
            );
            setStatus(null);
            setOneTime({ username: resetting.username, password: answer.password });
            await reload();
          }}
          onClose={() => setResetting(null)}
        >
          <p>
            Their current password stops working and their open sessions end. You get a
            one-time password to give them: it signs in once, and they must then choose a new
            password. Their API keys keep working.
          </p>
        </ConfirmDialog>
      )}
      {fencing && (
        <FenceDialog
          user={fencing}
          current={fences[fencing.id]?.pools ?? []}
          onSaved={async (pools) => {
            setStatus(
              pools.length
                ? `${fencing.username} may act only on devices in ${pools.join(", ")}.`
                : `${fencing.username} is no longer restricted to pools.`,
            );
            await loadFences();
          }}
          onClose={() => setFencing(null)}
        />
      )}
    </figure>
  );
}

/** Require a new password at the next sign-in (the current one signs in once, into a session
 * that may only choose a new one), or lift it. A directory user's password is the directory's. */
function PasswordDue({ user, act, patch }: {
  user: UserRow & { source?: string };
  act: (done: string, call: () => Promise<unknown>) => Promise<void>;
  patch: (u: UserRow, body: object) => Promise<unknown>;
}) {
  const name = user.username;
  if (user.source === "directory") {
    const why = "Signs in with the directory: their password is changed there, not here";
    return (
      <button class="quiet" disabled title={why} aria-label={`Require new password of ${name}`}>
        Require new password
      </button>
    );
  }
  if (user.must_change_password) {
    return (
      <button class="quiet" aria-label={`Lift required password change of ${name}`}
        title="Their current password keeps working as it is"
        onClick={() =>
          act(`${name} no longer has to choose a new password.`, () =>
            patch(user, { must_change_password: false }),
          )
        }>
        Lift password change
      </button>
    );
  }
  return (
    <button class="quiet" aria-label={`Require new password of ${name}`}
      title="Their current password signs in once more, and they must then choose a new one"
      onClick={() =>
        act(`${name} must choose a new password at their next sign-in.`, () =>
          patch(user, { must_change_password: true }),
        )
      }>
      Require new password
    </button>
  );
}

function FenceDialog({ user, current, onSaved, onClose }: {
  user: UserRow;
  current: string[];
  onSaved: (pools: string[]) => Promise<void>;
  onClose: () => void;
}) {
  const [names, setNames] = useState<string[] | null>(null);
  const [chosen, setChosen] = useState<Set<string>>(new Set(current));
  useEffect(() => {
    api<Page<{ name: string }>>("/api/v1/pools?limit=1000&sort=name").then(
      (page) => setNames(page.items.map((p) => p.name)),
      () => setNames([]),
    );
  }, []);
  const toggle = (name: string) => {
    const next = new Set(chosen);
    if (next.has(name)) next.delete(name);
    else next.add(name);
    setChosen(next);
  };
  return (
    <ConfirmDialog
      title={`Pools of ${user.username}`}
      confirmLabel="Save pools"
      danger={false}
      ready={names !== null}
      onConfirm={async () => {
        const pools = [...chosen].sort();
        await api(`/api/v1/users/${user.id}/pools`, {
          method: "PUT",
          body: JSON.stringify({ pools }),
        });
        await onSaved(pools);
      }}
      onClose={onClose}
    >
      <p>
        A user fenced to pools runs jobs, services and terminals only on devices in those
        pools, and may not change pool definitions. None checked: no restriction.
      </p>
      {names === null && <p class="muted">Loading pools…</p>}
      {names !== null && !names.length && <p class="muted">No pools defined yet.</p>}
      <div class="fence-pools">
        {names?.map((name) => (
          <label key={name} class="check">
            <input type="checkbox" checked={chosen.has(name)} onChange={() => toggle(name)} />
            {name}
          </label>
        ))}
      </div>
    </ConfirmDialog>
  );
}
