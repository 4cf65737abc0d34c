// Groups (admins only): a role and pool fences shared by their members, and the directory
// (LDAP/AD) groups whose members belong to them. A user's rights are the union of their own
// and their groups' (the Users card shows them). The form is the API's GroupCreate schema,
// with pools and members chosen from the names that exist; the API's field errors show
// under the field they name. Deleting asks first.
import { useEffect, useState } from "preact/hooks";
import { api, ApiError, type Page } from "../api";
import { ConfirmDialog } from "../forms/ConfirmDialog";
import { apiSchema, type FieldModel, fieldsOf } from "../forms/schema";
import { changed, errorsUnder, SchemaForm, type Values } from "../forms/SchemaForm";
import { message, type UserRow } from "./common";

export interface GroupRow {
  id: number;
  name: string;
  description: string;
  role: UserRow["role"];
  pools: string[];
  missing_pools: number;
  directory_groups: string[];
  members: string[];
  directory_members: string[];
  created_at: string;
}

interface Rights {
  role: UserRow["role"];
  pools: string[] | null;
  groups: string[];
}

const LISTS = ["pools", "directory_groups", "members"];

interface Props {
  users: UserRow[];
  /** Reloads the users: their rights change with their groups. */
  reload: () => Promise<void>;
}

export function GroupsCard({ users, reload }: Props) {
  const [groups, setGroups] = useState<GroupRow[]>([]);
  const [error, setError] = useState<string | null>(null);
  const [status, setStatus] = useState<string | null>(null);
  const [editing, setEditing] = useState<GroupRow | "new" | null>(null);
  const [deleting, setDeleting] = useState<GroupRow | null>(null);

  const load = async () => {
    try {
      setGroups(await api<GroupRow[]>("/api/v1/groups"));
    } catch (exc) {
      setError(message(exc));
    }
  };
  useEffect(() => {
    load();
  }, []);
  const saved = async (done: string) => {
    setError(null);
    setStatus(done);
    await load();
    await reload();
  };
  const list = (names: string[], none = "") =>
    names.length ? names.join(", ") : <span class="muted">{none}</span>;

  return (
    <figure class="card wide" aria-label="Groups">
      <figcaption>Groups</figcaption>
      {error && <p class="error" role="alert">{error}</p>}
      {status && <p class="notice ok" role="status">{status}</p>}
      <table class="grid groups">
        <thead>
          <tr>
            <th>Group</th><th>Role</th><th>Pools</th><th>Directory groups</th><th>Members</th>
            <th>Directory members</th><th class="actions" />
          </tr>
        </thead>
        <tbody>
          {groups.map((g) => (
            <tr key={g.id} data-group={g.name}>
              <td>
                {g.name}
                {g.description && <div class="muted">{g.description}</div>}
              </td>
              <td>{g.role}</td>
              <td>
                {g.role === "admin"
                  ? <span class="muted">all (admin)</span>
                  : g.pools.length || g.missing_pools
                    ? list(g.pools)
                    : <span class="muted">all</span>}
                {g.missing_pools > 0 && <span class="muted"> ({g.missing_pools} deleted)</span>}
              </td>
              <td>{list(g.directory_groups, "none")}</td>
              <td>{list(g.members, "none")}</td>
              <td>{list(g.directory_members, "none")}</td>
              <td class="actions">
                <button class="quiet" aria-label={`Edit group ${g.name}`} onClick={() => setEditing(g)}>
                  Edit
                </button>
                <button class="danger" aria-label={`Delete group ${g.name}`}
                  onClick={() => setDeleting(g)}>
                  Delete
                </button>
              </td>
            </tr>
          ))}
          {!groups.length && (
            <tr><td colSpan={7} class="muted">No groups yet.</td></tr>
          )}
        </tbody>
      </table>
      <p>
        <button onClick={() => setEditing("new")}>New group</button>
      </p>
      {editing && (
        <GroupDialog
          group={editing === "new" ? null : editing}
          usernames={users.map((u) => u.username)}
          onSaved={async (group) => {
            setEditing(null);
            await saved(`Group ${group.name} ${editing === "new" ? "created" : "saved"}.`);
          }}
          onClose={() => setEditing(null)}
        />
      )}
      {deleting && (
        <ConfirmDialog
          title={`Delete group ${deleting.name}?`}
          confirmLabel={`Delete ${deleting.name}`}
          onConfirm={async () => {
            await api(`/api/v1/groups/${deleting.id}`, { method: "DELETE" });
            await saved(`Group ${deleting.name} deleted.`);
          }}
          onClose={() => setDeleting(null)}
        >
          <p>
            Its {deleting.members.length + deleting.directory_members.length} member(s) lose
            the rights they had through it ({deleting.role}
            {deleting.pools.length ? ` in ${deleting.pools.join(", ")}` : ""}) at once, their
            sessions and API keys included. Their own role and pools stay.
          </p>
        </ConfirmDialog>
      )}
    </figure>
  );
}

/** Create (``group`` null) or edit a group. */
function GroupDialog({ group, usernames, onSaved, onClose }: {
  group: GroupRow | null;
  usernames: string[];
  onSaved: (group: GroupRow) => Promise<void>;
  onClose: () => void;
}) {
  const [fields, setFields] = useState<FieldModel[] | null>(null);
  const [values, setValues] = useState<Values>({});
  const [invalid, setInvalid] = useState<Record<string, string>>({});
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [problem, setProblem] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const title = group ? `Edit group ${group.name}` : "New group";

  useEffect(() => {
    Promise.all([
      apiSchema("GroupCreate"),
      api<Page<{ name: string }>>("/api/v1/pools?limit=1000&sort=name"),
      // the users as they are now: the page's own list may not have loaded yet
      api<{ username: string }[]>("/api/v1/users"),
    ]).then(
      ([[schema, defs], pools, users]) => {
        const names: Record<string, string[]> = {
          pools: pools.items.map((p) => p.name),
          members: [...new Set([...usernames, ...users.map((u) => u.username)])].sort(),
        };
        setFields(
          fieldsOf(schema, defs).map((field) => {
            const options = names[field.key];
            if (!options) return field;
            const current = group ? (group[field.key as keyof GroupRow] as string[]) : [];
            const help =
              field.key === "members" ? "Directory members join at their sign-in" : field.help;
            const all = [...new Set([...options, ...current])];
            return { ...field, help, widget: "multiselect", options: all };
          }),
        );
      },
      (exc: unknown) => setProblem(message(exc)),
    );
  }, []);
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => e.key === "Escape" && !busy && onClose();
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  }, [busy]);

  const submit = async (event: Event) => {
    event.preventDefault();
    if (Object.keys(invalid).length) return;
    setBusy(true);
    setErrors({});
    setProblem(null);
    // an emptied list or description is sent (the form leaves an empty field out)
    const full: Values = { ...values };
    for (const key of LISTS) full[key] ??= [];
    full.description ??= "";
    try {
      const answer = await api<GroupRow>(group ? `/api/v1/groups/${group.id}` : "/api/v1/groups", {
        method: group ? "PATCH" : "POST",
        body: JSON.stringify(group ? changed({ ...group }, full) : full),
      });
      await onSaved(answer);
    } catch (exc) {
      if (exc instanceof ApiError) {
        // "pools[0]" (a name the API did not find) and "pools.0" (a bad value) alike
        const byField: Record<string, string> = {};
        for (const [path, text] of Object.entries(exc.byField()))
          byField[path.replace(/\[(\d+)\]/g, ".$1")] = text;
        setErrors(errorsUnder(byField));
      }
      setProblem(message(exc));
    } finally {
      setBusy(false);
    }
  };

  return (
    <div class="overlay" onClick={(e) => e.target === e.currentTarget && !busy && onClose()}>
      <form class="dialog" role="dialog" aria-modal="true" aria-label={title} onSubmit={submit}>
        <header>
          <h3>{title}</h3>
          <button type="button" class="quiet" aria-label="Close" onClick={onClose}>✕</button>
        </header>
        {fields ? (
          <SchemaForm
            fields={fields}
            initial={group ? { ...group } : {}}
            hidden={group ? ["name"] : []}
            errors={errors}
            idPrefix="group"
            onChange={(next, problems) => {
              setValues(next);
              setInvalid(problems);
            }}
          />
        ) : (
          !problem && <p class="empty">Loading the form…</p>
        )}
        {problem && <p class="error" role="alert">{problem}</p>}
        <footer>
          <button type="button" class="quiet" onClick={onClose}>Cancel</button>
          <button type="submit" disabled={busy || !fields}>{group ? "Save" : "Create group"}</button>
        </footer>
      </form>
    </div>
  );
}

/** A user's effective rights (their own and their groups'): role, groups, acting fence.
 * ``stamp`` changes when they may have changed (the users reloaded). */
export function UserRights({ user, stamp }: { user: UserRow; stamp: unknown }) {
  const [rights, setRights] = useState<Rights | null>(null);
  useEffect(() => {
    api<Rights>(`/api/v1/users/${user.id}/rights`).then(setRights, () => setRights(null));
  }, [user.id, stamp]);
  if (!rights) return <span class="muted">…</span>;
  return (
    <span class="rights" aria-label={`Rights of ${user.username}`}>
      {rights.role}
      {rights.groups.length > 0 && <span class="muted"> · groups {rights.groups.join(", ")}</span>}
      {rights.role !== "admin" && rights.pools !== null && (
        <span class="muted"> · in {rights.pools.length ? rights.pools.join(", ") : "no pool"}</span>
      )}
    </span>
  );
}
