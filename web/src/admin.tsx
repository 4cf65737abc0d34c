// Admin pages: "Users and keys" (admins only: users, groups, everyone's API keys) and
// "My API keys" (anyone: their own keys and their password). Controls follow the API's
// roles: a non-admin opening the admin page by its address sees no admin forms.
import { useEffect, useState } from "preact/hooks";
import { api } from "./api";
import { useUser } from "./session";
import { GroupsCard } from "./admin/GroupsCard";
import { KeysCard } from "./admin/KeysCard";
import { PasswordForm } from "./admin/PasswordForm";
import { PermissionsCard } from "./admin/PermissionsCard";
import { UsersCard } from "./admin/UsersCard";
import { message, type UserRow } from "./admin/common";

export function AdminPage() {
  const me = useUser();
  if (me.role !== "admin") {
    return (
      <section aria-label="Users and API keys">
        <h2>Users and API keys</h2>
        <p class="notice" role="status">
          Managing users and everyone's API keys is for admins. Your own keys and password are
          under <a href="#/my-keys">My API keys</a>.
        </p>
      </section>
    );
  }
  return <AdminUsers />;
}

function AdminUsers() {
  const [users, setUsers] = useState<UserRow[]>([]);
  const [version, setVersion] = useState(0);
  const [error, setError] = useState<string | null>(null);
  const load = async () => {
    try {
      setUsers(await api<UserRow[]>("/api/v1/users"));
      setVersion((v) => v + 1);
    } catch (exc) {
      setError(message(exc));
    }
  };
  useEffect(() => {
    load();
  }, []);
  return (
    <section aria-label="Users and API keys">
      <h2>Users and API keys</h2>
      {error && <p class="error" role="alert">{error}</p>}
      {/* The cards come with the users: mounted before, the keys and permissions cards
          loaded twice (on mount, then on the users' version) and re-laid out their rows
          under the pointer. */}
      {version > 0 || error ? (
        <div class="cards admin-cards">
          <UsersCard users={users} reload={load} />
          <GroupsCard users={users} reload={load} />
          <PermissionsCard stamp={version} />
          <KeysCard users={users} version={version} />
        </div>
      ) : (
        <p class="muted" role="status">Loading users…</p>
      )}
    </section>
  );
}

export function MyKeysPage() {
  return (
    <section aria-label="My API keys">
      <h2>My API keys</h2>
      <div class="cards admin-cards">
        <KeysCard />
        <figure class="card" aria-label="My password">
          <figcaption>My password</figcaption>
          <PasswordForm oneTime={false} onDone={() => undefined} />
        </figure>
      </div>
    </section>
  );
}
