// Permissions (admins only): every service, workflow, task, event rule, credential and pool
// against every group (GET /api/v1/access/matrix): what a group's members may do with it
// through that group (its role, narrowed by the object's grants when restricted). Owners
// and admins are not in it: they reach what they own or see. Each cell's text is its
// rights ("read run"), drawn compactly as R X E; "Permissions" opens an object's dialog.
import { Fragment } from "preact";
import { useEffect, useState } from "preact/hooks";
import {
  type AccessKind,
  NOUNS,
  PermissionsButton,
  type Right,
  usePermissions,
} from "../forms/PermissionsDialog";
import { api } from "../api";
import { message } from "./common";

interface MatrixRow {
  kind: AccessKind;
  object_id: number;
  name: string;
  owner: string;
  restricted: boolean;
  cells: { group: string; rights: Right[] }[];
}

interface Matrix {
  groups: string[];
  rows: MatrixRow[];
}

const KINDS = Object.keys(NOUNS) as AccessKind[];

/** ``stamp`` changes when the groups may have changed (the page reloaded its users). */
export function PermissionsCard({ stamp }: { stamp: unknown }) {
  const [kind, setKind] = useState<AccessKind | "">("");
  const [matrix, setMatrix] = useState<Matrix | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [closed, setClosed] = useState(0);
  // reloaded once a dialog closes: its changes show in the matrix
  const [open, dialog] = usePermissions(() => setClosed((n) => n + 1));

  useEffect(() => {
    let stale = false;
    api<Matrix>(`/api/v1/access/matrix${kind ? `?kind=${kind}` : ""}`).then(
      (found) => {
        if (stale) return;
        setError(null);
        setMatrix(found);
      },
      (exc: unknown) => !stale && setError(message(exc)),
    );
    return () => {
      stale = true;
    };
  }, [kind, stamp, closed]);
  const groups = matrix?.groups ?? [];
  return (
    <figure class="card wide access-matrix-card" aria-label="Permissions">
      <figcaption>Permissions</figcaption>
      <p class="muted">
        What each group's members may do with each object through that group: R read, X run,
        E edit. Open objects follow the group's role; restricted ones only their grants.
        Admins and owners are not listed: they reach what they own or see.
      </p>
      <div class="matrix-filter">
        <label>
          Kind
          <select value={kind} onChange={(e) => setKind((e.target as HTMLSelectElement).value as AccessKind | "")}>
            <option value="">all</option>
            {KINDS.map((k) => <option key={k} value={k}>{NOUNS[k]}s</option>)}
          </select>
        </label>
      </div>
      {error && <p class="error" role="alert">{error}</p>}
      {matrix && (
        <table class="grid access-matrix" data-testid="access-matrix" aria-label="Permissions matrix">
          <thead>
            <tr>
              <th scope="col">Kind</th>
              <th scope="col">Name</th>
              <th scope="col">Owner</th>
              {groups.map((group) => <th key={group} scope="col" class="group">{group}</th>)}
              <th class="actions" scope="col"><span class="sr-only">Actions</span></th>
            </tr>
          </thead>
          <tbody>
            {matrix.rows.map((row) => (
              <tr key={`${row.kind}-${row.object_id}`} data-object={`${row.kind}-${row.name}`}>
                <td>{NOUNS[row.kind]}</td>
                <td>
                  {row.name}
                  {row.restricted && <span class="badge restricted">restricted</span>}
                </td>
                <td>{row.owner || <span class="muted">none</span>}</td>
                {row.cells.map((cell) => (
                  <td key={cell.group} class="rights" data-testid={`cell-${row.kind}-${row.name}-${cell.group}`}
                    title={`${cell.group}: ${cell.rights.length ? cell.rights.join(", ") : "nothing"}`}>
                    {cell.rights.map((right, index) => (
                      <Fragment key={right}>
                        {index > 0 && " "}
                        <span class={`right ${right}`}>{right}</span>
                      </Fragment>
                    ))}
                  </td>
                ))}
                <td class="actions">
                  <PermissionsButton target={{ kind: row.kind, id: row.object_id, name: row.name }} open={open} />
                </td>
              </tr>
            ))}
            {!matrix.rows.length && (
              <tr><td colSpan={groups.length + 4} class="muted">Nothing of this kind yet.</td></tr>
            )}
          </tbody>
        </table>
      )}
      {matrix && !groups.length && <p class="muted">No groups yet: create one in the Groups card.</p>}
      {dialog}
    </figure>
  );
}
