import { useEffect, useState } from "preact/hooks";
import { api, ApiError } from "./api";

interface UserRow {
  id: number;
  username: string;
  role: string;
  is_active: boolean;
  last_login_at: string | null;
}

interface KeyRow {
  id: number;
  user_id: number;
  name: string;
  prefix: string;
  scope: string;
  created_at: string;
  expires_at: string | null;
  revoked_at: string | null;
}

function message(exc: unknown): string {
  return exc instanceof ApiError ? exc.message : String(exc);
}

// Users and API keys: admins only (the API refuses anyone else anyway).
export function AdminPage() {
  const [users, setUsers] = useState<UserRow[]>([]);
  const [keys, setKeys] = useState<KeyRow[]>([]);
  const [error, setError] = useState<string | null>(null);
  const [created, setCreated] = useState<string | null>(null);
  const [form, setForm] = useState({ username: "", password: "", role: "viewer" });
  const [keyForm, setKeyForm] = useState({ name: "", scope: "full" });

  const load = async () => {
    try {
      setUsers(await api<UserRow[]>("/api/v1/users"));
      setKeys(await api<KeyRow[]>("/api/v1/api-keys?all_users=true"));
    } catch (exc) {
      setError(message(exc));
    }
  };
  useEffect(() => {
    load();
  }, []);

  const addUser = async (event: Event) => {
    event.preventDefault();
    setError(null);
    try {
      await api("/api/v1/users", { method: "POST", body: JSON.stringify(form) });
      setForm({ username: "", password: "", role: "viewer" });
      await load();
    } catch (exc) {
      setError(message(exc));
    }
  };
  const addKey = async (event: Event) => {
    event.preventDefault();
    setError(null);
    try {
      const answer = await api<{ key: string }>("/api/v1/api-keys", {
        method: "POST",
        body: JSON.stringify(keyForm),
      });
      setCreated(answer.key);
      setKeyForm({ name: "", scope: "full" });
      await load();
    } catch (exc) {
      setError(message(exc));
    }
  };
  const revoke = async (id: number) => {
    await api(`/api/v1/api-keys/${id}`, { method: "DELETE" });
    await load();
  };
  const owner = (id: number) => users.find((u) => u.id === id)?.username ?? id;
  return (
    <section aria-label="Users and API keys">
      <h2>Users and API keys</h2>
      {error && <p class="error" role="alert">{error}</p>}
      <div class="cards">
        <figure class="card wide" aria-label="Users">
          <figcaption>Users</figcaption>
          <table class="grid">
            <thead><tr><th>User</th><th>Role</th><th>State</th><th>Last sign-in</th></tr></thead>
            <tbody>
              {users.map((u) => (
                <tr key={u.id}>
                  <td>{u.username}</td><td>{u.role}</td>
                  <td>{u.is_active ? "active" : "disabled"}</td>
                  <td>{u.last_login_at ? new Date(u.last_login_at).toLocaleString() : ""}</td>
                </tr>
              ))}
            </tbody>
          </table>
          <form class="inline" onSubmit={addUser} aria-label="New user">
            <input aria-label="New username" placeholder="username" value={form.username}
              onInput={(e) => setForm({ ...form, username: (e.target as HTMLInputElement).value })} />
            <input aria-label="New password" type="password" placeholder="password (12+)"
              value={form.password}
              onInput={(e) => setForm({ ...form, password: (e.target as HTMLInputElement).value })} />
            <select aria-label="New role" value={form.role}
              onChange={(e) => setForm({ ...form, role: (e.target as HTMLSelectElement).value })}>
              <option value="viewer">viewer</option>
              <option value="operator">operator</option>
              <option value="admin">admin</option>
            </select>
            <button type="submit">Add user</button>
          </form>
        </figure>
        <figure class="card wide" aria-label="API keys">
          <figcaption>API keys</figcaption>
          {created && (
            <p class="notice" role="status">
              New key (shown once): <code>{created}</code>
            </p>
          )}
          <table class="grid">
            <thead>
              <tr><th>Name</th><th>Owner</th><th>Scope</th><th>Prefix</th><th>State</th><th /></tr>
            </thead>
            <tbody>
              {keys.map((k) => (
                <tr key={k.id}>
                  <td>{k.name}</td><td>{owner(k.user_id)}</td><td>{k.scope}</td>
                  <td><code>{k.prefix}</code></td>
                  <td>{k.revoked_at ? "revoked" : "active"}</td>
                  <td>
                    {!k.revoked_at && (
                      <button class="danger" onClick={() => revoke(k.id)}>Revoke</button>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
          <form class="inline" onSubmit={addKey} aria-label="New API key">
            <input aria-label="Key name" placeholder="name" value={keyForm.name}
              onInput={(e) => setKeyForm({ ...keyForm, name: (e.target as HTMLInputElement).value })} />
            <select aria-label="Key scope" value={keyForm.scope}
              onChange={(e) => setKeyForm({ ...keyForm, scope: (e.target as HTMLSelectElement).value })}>
              <option value="full">full (my role)</option>
              <option value="trigger">trigger only</option>
            </select>
            <button type="submit">Create key</button>
          </form>
        </figure>
      </div>
    </section>
  );
}
