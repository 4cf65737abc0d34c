// API keys: an admin sees and manages everyone's (and may create a key for another user);
// anyone else sees, creates and revokes their own — what the API allows each. Revoking asks.
import { useEffect, useState } from "preact/hooks";
import { api } from "../api";
import { ConfirmDialog } from "../forms/ConfirmDialog";
import { useUser } from "../session";
import { type KeyRow, message, type UserRow, when } from "./common";

interface Props {
  /** Admin view: every user's keys, with an owner column and an owner choice. */
  users?: UserRow[];
  /** Changes when the users change (a deleted user's keys are gone). */
  version?: number;
}

export function KeysCard({ users, version = 0 }: Props) {
  const me = useUser();
  const everyone = users !== undefined;
  const [keys, setKeys] = useState<KeyRow[]>([]);
  const [error, setError] = useState<string | null>(null);
  const [created, setCreated] = useState<{ key: string; name: string } | null>(null);
  const [form, setForm] = useState({ name: "", scope: "full", user_id: "" });
  const [revoking, setRevoking] = useState<KeyRow | null>(null);

  const load = async () => {
    try {
      setKeys(await api<KeyRow[]>(`/api/v1/api-keys${everyone ? "?all_users=true" : ""}`));
    } catch (exc) {
      setError(message(exc));
    }
  };
  useEffect(() => {
    load();
  }, [version]);

  const create = async (event: Event) => {
    event.preventDefault();
    setError(null);
    const body: Record<string, unknown> = { name: form.name, scope: form.scope };
    if (form.user_id) body.user_id = Number(form.user_id);
    try {
      const answer = await api<{ key: string; name: string }>("/api/v1/api-keys", {
        method: "POST",
        body: JSON.stringify(body),
      });
      setCreated(answer);
      setForm({ name: "", scope: "full", user_id: "" });
      await load();
    } catch (exc) {
      setError(message(exc));
    }
  };
  const owner = (id: number) => users?.find((u) => u.id === id)?.username ?? `#${id}`;
  // a trigger-only key fires REST triggers, which needs the operator role
  const triggers = me.role !== "viewer";

  return (
    <figure class="card wide" aria-label="API keys">
      <figcaption>{everyone ? "API keys" : "My API keys"}</figcaption>
      {error && <p class="error" role="alert">{error}</p>}
      {created && (
        <p class="notice" role="status">
          New key <strong>{created.name}</strong> (shown once, copy it now):{" "}
          <code class="secret">{created.key}</code>
        </p>
      )}
      <table class="grid">
        <thead>
          <tr>
            <th>Name</th>
            {everyone && <th>Owner</th>}
            <th>Scope</th><th>Prefix</th><th>Created</th><th>Last used</th><th>Expires</th>
            <th>State</th><th />
          </tr>
        </thead>
        <tbody>
          {keys.map((k) => (
            <tr key={k.id}>
              <td>{k.name}</td>
              {everyone && <td>{owner(k.user_id)}</td>}
              <td>{k.scope}</td>
              <td><code>{k.prefix}</code></td>
              <td>{when(k.created_at)}</td>
              <td>{when(k.last_used_at)}</td>
              <td>{when(k.expires_at)}</td>
              <td>{k.revoked_at ? "revoked" : "active"}</td>
              <td>
                {!k.revoked_at && (
                  <button class="danger" aria-label={`Revoke key ${k.name}`}
                    onClick={() => setRevoking(k)}>
                    Revoke
                  </button>
                )}
              </td>
            </tr>
          ))}
          {!keys.length && (
            <tr><td colSpan={everyone ? 9 : 8} class="muted">No API keys yet.</td></tr>
          )}
        </tbody>
      </table>
      <form class="inline" onSubmit={create} aria-label="New API key">
        <input aria-label="Key name" placeholder="name" required value={form.name}
          onInput={(e) => setForm({ ...form, name: (e.target as HTMLInputElement).value })} />
        {everyone && (
          <select aria-label="Key owner" value={form.user_id}
            onChange={(e) => setForm({ ...form, user_id: (e.target as HTMLSelectElement).value })}>
            <option value="">me ({me.username})</option>
            {users!.filter((u) => u.id !== me.id).map((u) => (
              <option key={u.id} value={String(u.id)}>{u.username}</option>
            ))}
          </select>
        )}
        {triggers && (
          <select aria-label="Key scope" value={form.scope}
            onChange={(e) => setForm({ ...form, scope: (e.target as HTMLSelectElement).value })}>
            <option value="full">full (the owner's role)</option>
            <option value="trigger">trigger only</option>
          </select>
        )}
        <button type="submit">Create key</button>
      </form>
      {revoking && (
        <ConfirmDialog
          title={`Revoke API key ${revoking.name}?`}
          confirmLabel="Revoke key"
          onConfirm={async () => {
            await api(`/api/v1/api-keys/${revoking.id}`, { method: "DELETE" });
            await load();
          }}
          onClose={() => setRevoking(null)}
        >
          <p>
            Scripts and integrations using the key <code>{revoking.prefix}</code>
            {everyone ? ` of ${owner(revoking.user_id)}` : ""} stop working at once. This
            cannot be undone.
          </p>
        </ConfirmDialog>
      )}
    </figure>
  );
}
