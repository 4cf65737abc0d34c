// The workflows: a server-side paged table; each name opens the builder; operators and
// admins create ("New workflow") and delete (confirmed; the API refuses to delete a
// workflow another one uses, and says which).
import { useState } from "preact/hooks";
import { api } from "../api";
import { WORKFLOW_BULK } from "../bulk/specs";
import { PermissionsButton, usePermissions } from "../forms/PermissionsDialog";
import { canEdit, useUser } from "../session";
import { DataTable, type TableSpec } from "../table";
import type { Automation } from "./types";
import "./workflow.css";

function Remove({ row, onDone, onError }: { row: Automation; onDone: () => void; onError: (text: string) => void }) {
  const [asking, setAsking] = useState(false);
  const [busy, setBusy] = useState(false);
  if (!asking) {
    return (
      <button class="quiet" aria-label={`Delete ${row.name}`} onClick={() => setAsking(true)}>Delete</button>
    );
  }
  const confirm = async () => {
    setBusy(true);
    try {
      await api(`/api/v1/workflows/${row.id}`, { method: "DELETE" });
      onDone();
    } catch (exc) {
      onError(exc instanceof Error ? exc.message : String(exc));
      setAsking(false);
    } finally {
      setBusy(false);
    }
  };
  return (
    <span class="wf-confirm">
      <button class="danger" disabled={busy} onClick={confirm} aria-label={`Confirm delete ${row.name}`}>
        Confirm delete
      </button>
      <button class="quiet" onClick={() => setAsking(false)}>Keep</button>
    </span>
  );
}

const when = (value: string) => (value ? new Date(value).toLocaleString() : "");

export function WorkflowList() {
  const user = useUser();
  const editable = canEdit(user);
  const [version, setVersion] = useState(0);
  const [error, setError] = useState<string | null>(null);
  const [openPermissions, permissions] = usePermissions();
  const spec: TableSpec<Automation> = {
    title: "Workflows",
    endpoint: "/api/v1/workflows",
    paged: true,
    search: "name",
    bulk: WORKFLOW_BULK,
    actions: editable ? <a class="button-link primary" href="#/workflows/new">New workflow</a> : undefined,
    columns: [
      {
        key: "name",
        title: "Name",
        render: (r) => <a href={`#/workflows/${r.id}`}>{r.name}</a>,
      },
      { key: "description", title: "Description" },
      {
        key: "steps",
        title: "Steps",
        render: (r) => {
          const nodes = r.graph?.nodes ?? [];
          const subs = nodes.filter((n) => n.kind === "workflow").length;
          return `${nodes.length}${subs ? ` (${subs} sub-workflow${subs > 1 ? "s" : ""})` : ""}`;
        },
      },
      { key: "created_by", title: "Created by" },
      { key: "updated_at", title: "Updated", render: (r) => when(r.updated_at) },
      {
        key: "remove",
        title: "",
        render: (r: Automation) => (
          <span class="row-actions">
            {editable && (
              <Remove row={r} onError={setError}
                onDone={() => {
                  setError(null);
                  setVersion((v) => v + 1);
                }} />
            )}
            <PermissionsButton open={openPermissions} target={{ kind: "workflow", id: r.id, name: r.name }} />
          </span>
        ),
      },
    ],
  };
  return (
    <div class="wf-list">
      {error && <p class="error wf-list-error" role="alert">{error}</p>}
      <DataTable key={version} spec={spec} />
      {permissions}
    </div>
  );
}
