// Deleting a user, asked first. A user who owns things (services, workflows, tasks, triggers,
// event rules, credentials, pools) cannot simply go: the API answers 409 saying what they own
// (field "transfer_to"). The dialog then shows that message and offers the users who could
// take it over (active, effectively operators or admins), and "Hand over and delete" retries
// with ?transfer_to=. The API still decides: when the heir cannot own one of the things (a
// fence, a privileged service type) its 409 names it here and nothing was deleted.
// Escape, the backdrop and Cancel close it without acting.
import { useEffect, useState } from "preact/hooks";
import { api, ApiError } from "../api";
import { message, type UserRow } from "./common";

interface Rights {
  role: UserRow["role"];
  pools: string[] | null;
}

interface Heir {
  username: string;
  role: UserRow["role"];
  pools: string[] | null;
}

interface Props {
  user: UserRow;
  users: UserRow[];
  onDeleted: (heir: string | null) => Promise<void>;
  onClose: () => void;
}

/** Active users other than ``user`` whose effective role (with their groups) may own things. */
async function heirsFor(user: UserRow, users: UserRow[]): Promise<Heir[]> {
  const active = users.filter((u) => u.is_active && u.id !== user.id);
  const found = await Promise.all(
    active.map(async (u): Promise<Heir> => {
      try {
        const rights = await api<Rights>(`/api/v1/users/${u.id}/rights`);
        return { username: u.username, role: rights.role, pools: rights.pools };
      } catch {
        return { username: u.username, role: u.role, pools: null };
      }
    }),
  );
  return found
    .filter((h) => h.role === "operator" || h.role === "admin")
    .sort((a, b) => a.username.localeCompare(b.username));
}

export function DeleteUserDialog({ user, users, onDeleted, onClose }: Props) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [owns, setOwns] = useState<string | null>(null); // the API's "owns ..." message
  const [heirs, setHeirs] = useState<Heir[] | null>(null);
  const [heir, setHeir] = useState("");
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => e.key === "Escape" && !busy && onClose();
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  }, [busy]);

  const remove = async () => {
    setBusy(true);
    setError(null);
    const to = owns ? heir : null;
    const query = to ? `?transfer_to=${encodeURIComponent(to)}` : "";
    try {
      await api(`/api/v1/users/${user.id}${query}`, { method: "DELETE" });
      await onDeleted(to);
      onClose();
    } catch (exc) {
      if (!owns && exc instanceof ApiError && exc.status === 409 && exc.field === "transfer_to") {
        setOwns(exc.message);
        setHeirs(await heirsFor(user, users));
      } else {
        setError(message(exc));
      }
    } finally {
      setBusy(false);
    }
  };

  const title = `Delete user ${user.username}?`;
  const label = owns ? "Hand over and delete" : `Delete ${user.username}`;
  return (
    <div class="overlay" onClick={(e) => e.target === e.currentTarget && !busy && onClose()}>
      <div class="dialog confirm" role="alertdialog" aria-modal="true" aria-label={title}>
        <header>
          <h3>{title}</h3>
          <button type="button" class="quiet" aria-label="Close" disabled={busy} onClick={onClose}>
            ✕
          </button>
        </header>
        <div class="confirm-body">
          <p>
            {user.username} ({user.role}) is removed with their API keys and sign-in sessions.
            The changelog keeps their name. This cannot be undone; to keep the account, disable
            it instead.
          </p>
          {owns && (
            <>
              <p class="notice" aria-label="What they own">{owns}</p>
              <p>
                What they own is handed over in the same step, or nothing happens. The heir must
                be able to own each thing (an admin for privileged service types; their pools
                must hold its targets).
              </p>
              {heirs === null && <p class="muted">Loading users…</p>}
              {heirs !== null && !heirs.length && (
                <p class="muted">No other active operator or admin: add or enable one first.</p>
              )}
              {heirs !== null && heirs.length > 0 && (
                <label>
                  Hand over to{" "}
                  <select value={heir} disabled={busy}
                    onChange={(e) => setHeir((e.target as HTMLSelectElement).value)}>
                    <option value="">choose a user…</option>
                    {heirs.map((h) => (
                      <option key={h.username} value={h.username}>
                        {h.username} ({h.role}
                        {h.role !== "admin" && h.pools !== null
                          ? `, in ${h.pools.length ? h.pools.join(", ") : "no pool"}`
                          : ""})
                      </option>
                    ))}
                  </select>
                </label>
              )}
            </>
          )}
        </div>
        {error && <p class="error" role="alert">{error}</p>}
        <footer>
          <button type="button" class="quiet" disabled={busy} onClick={onClose}>Cancel</button>
          <button type="button" class="danger" disabled={busy || (owns !== null && !heir)}
            onClick={remove}>
            {busy ? "Working…" : label}
          </button>
        </footer>
      </div>
    </div>
  );
}
