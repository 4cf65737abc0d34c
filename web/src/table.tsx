// A list page: server-side paging, sorting, search and column filters (a case-insensitive
// substring, or a glob when `*`/`?` are typed); create/edit/delete through forms generated
// from the API's own schemas; row selection with bulk edit, delete and run; Excel/CSV/YAML
// import and export.
import type { ComponentChildren } from "preact";
import { useEffect, useState } from "preact/hooks";
import { api, type Page } from "./api";
import { BulkBar, type BulkSpec } from "./bulk/BulkActions";
import { filterValue, rowMatches } from "./bulk/filters";
import { ConfirmDialog } from "./forms/ConfirmDialog";
import { type AccessKind, PermissionsButton, usePermissions } from "./forms/PermissionsDialog";
import { ResourceDialog } from "./forms/ResourceDialog";
import { TransferBar } from "./forms/TransferBar";
import { canEdit, useUser } from "./session";

export interface Column<T> {
  key: string;
  title: string;
  render?: (row: T) => ComponentChildren;
  sortable?: boolean;
  /** The query parameter this column filters on (a text box under the header). */
  filter?: string;
  /** With ``filter``: a select of these values instead of a text box. */
  choices?: string[];
}

export interface ResourceSpec {
  /** The API's Create schema (in /openapi.json): the form's fields. */
  schema: string;
  /** What one is called ("device"): "New device", "Edit r1". */
  noun: string;
  /** Fields not in the form. */
  hidden?: string[];
  /** Secrets in the form: left empty on edit, they stay as stored. */
  secrets?: boolean;
}

export interface TableSpec<T> {
  title: string;
  endpoint: string;
  columns: Column<T>[];
  search?: string; // the query parameter the endpoint filters on (name, q, ...)
  paged?: boolean; // a Page {items,total}; else a plain list filtered here
  sort?: boolean; // the endpoint takes sort=field / -field
  resource?: ResourceSpec; // create/edit/delete at endpoint and endpoint/{id}
  transfer?: "devices" | "links" | "pools" | "credentials"; // import/export buttons
  /** Fixed query parameters (e.g. the runs of one device). */
  params?: Record<string, string>;
  /** Extra controls above the table (wrap editing ones in <EditorsOnly>). */
  actions?: ComponentChildren;
  /** Bulk actions on selected rows (for operators and admins; with ``resource`` or here):
   * delete always; edit and run as declared here. */
  bulk?: BulkSpec;
  /** A "Permissions" row action (for every role; read-only unless admin or owner): who may
   * read, run and edit each row (per-object permissions of this kind). */
  permissions?: AccessKind;
}

const LIMIT = 50;

function cell<T>(row: T, column: Column<T>): ComponentChildren {
  if (column.render) return column.render(row);
  const value = (row as Record<string, unknown>)[column.key];
  if (value === null || value === undefined) return "";
  if (Array.isArray(value)) return value.join(", ");
  if (typeof value === "object") return JSON.stringify(value);
  return String(value);
}

/** ``value`` after it stopped changing for ``delay`` ms (typing doesn't flood the API). */
function useSettled<V>(value: V, delay = 250): V {
  const [settled, setSettled] = useState(value);
  useEffect(() => {
    const timer = setTimeout(() => setSettled(value), delay);
    return () => clearTimeout(timer);
  }, [JSON.stringify(value)]);
  return settled;
}

/** Children shown to operators and admins only. */
export function EditorsOnly({ children }: { children: ComponentChildren }) {
  return canEdit(useUser()) ? <>{children}</> : null;
}

type Editing<T> = { mode: "create" } | { mode: "edit"; row: T } | null;

export function DataTable<T extends { id?: number | string; name?: unknown }>({
  spec,
}: {
  spec: TableSpec<T>;
}) {
  const user = useUser();
  const [rows, setRows] = useState<T[] | null>(null);
  const [total, setTotal] = useState(0);
  const [offset, setOffset] = useState(0);
  const [search, setSearch] = useState("");
  const [filters, setFilters] = useState<Record<string, string>>({});
  const [sort, setSort] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [version, setVersion] = useState(0);
  const [editing, setEditing] = useState<Editing<T>>(null);
  const [doomed, setDoomed] = useState<T | null>(null);
  const [selected, setSelected] = useState<Map<T["id"], T>>(new Map());
  const query = useSettled({ search, filters });
  const editable = Boolean(spec.resource) && canEdit(user);
  const [openPermissions, permissionsDialog] = usePermissions();
  const rowActions = editable || Boolean(spec.permissions);
  // rows are selected for the bulk bar on tables with a form or bulk actions
  const selectable = Boolean(spec.resource || spec.bulk) && canEdit(user);
  const noun = spec.resource?.noun ?? spec.bulk?.noun ?? "row";
  const filtered = spec.columns.some((c) => c.filter);
  const filtering = Boolean(search.trim()) || Object.values(filters).some((v) => v.trim());
  const choice = new Set(spec.columns.filter((c) => c.choices).map((c) => c.filter));

  useEffect(() => {
    const params = new URLSearchParams(spec.params ?? {});
    if (spec.paged) {
      params.set("limit", String(LIMIT));
      params.set("offset", String(offset));
    }
    // `q` is free text everywhere; other text filters take `*text*` for "contains"
    const sent = (key: string, typed: string) =>
      key === "q" || choice.has(key) ? typed.trim() : filterValue(typed);
    if (spec.paged && spec.search && query.search.trim()) {
      params.set(spec.search, sent(spec.search, query.search));
    }
    for (const [key, value] of Object.entries(query.filters)) {
      if (value.trim()) params.set(key, sent(key, value));
    }
    if (spec.sort && sort) params.set("sort", sort);
    const url = `${spec.endpoint}${params.size ? `?${params}` : ""}`;
    let stale = false;
    api<Page<T> | T[]>(url).then(
      (answer) => {
        if (stale) return;
        setError(null);
        setSelected(new Map());
        if (Array.isArray(answer)) {
          const kept = answer.filter((row) => rowMatches(row, query.search));
          setRows(kept);
          setTotal(kept.length);
        } else {
          setRows(answer.items);
          setTotal(answer.total);
        }
      },
      (exc: Error) => !stale && setError(exc.message),
    );
    return () => {
      stale = true;
    };
  }, [spec.endpoint, JSON.stringify(spec.params), offset, query, sort, version]);

  const toggleSort = (key: string) => {
    setSort(sort === key ? `-${key}` : key);
    setOffset(0);
  };
  const remove = async (row: T) => {
    await api(`${spec.endpoint}/${row.id}`, { method: "DELETE" });
    setVersion((v) => v + 1);
  };
  const clearFilters = () => {
    setSearch("");
    setFilters({});
    setOffset(0);
  };
  const pageRows = rows ?? [];
  const allSelected = pageRows.length > 0 && pageRows.every((r) => selected.has(r.id));
  const toggle = (row: T) => {
    const next = new Map(selected);
    if (next.has(row.id)) next.delete(row.id);
    else next.set(row.id, row);
    setSelected(next);
  };
  const toggleAll = () =>
    setSelected(allSelected ? new Map() : new Map(pageRows.map((r) => [r.id, r])));
  const nameOf = (row: T) => String(row.name ?? row.id);
  const saved = () => {
    setEditing(null);
    setVersion((v) => v + 1);
  };
  return (
    <section aria-label={spec.title}>
      <div class="toolbar">
        <h2>
          {spec.title} <small>{total}</small>
        </h2>
        <input
          type="search"
          placeholder="Search"
          aria-label={`Search ${spec.title}`}
          value={search}
          onInput={(e) => {
            setSearch((e.target as HTMLInputElement).value);
            setOffset(0);
          }}
        />
        {spec.actions}
        {spec.transfer && (
          <TransferBar kind={spec.transfer} canImport={canEdit(user)} canMigrate={user.role === "admin"}
            onImported={() => setVersion((v) => v + 1)} />
        )}
        {editable && spec.resource && (
          <button onClick={() => setEditing({ mode: "create" })}>New {spec.resource.noun}</button>
        )}
      </div>
      {error && <p class="error" role="alert">{error}</p>}
      {selectable && (
        <BulkBar endpoint={spec.endpoint} bulk={spec.bulk ?? {}} noun={noun}
          rows={[...selected.values()]} onClear={() => setSelected(new Map())}
          onDone={() => setVersion((v) => v + 1)} />
      )}
      <table class="grid" aria-label={`${spec.title} table`}>
        <thead>
          <tr>
            {selectable && (
              <th class="select" scope="col">
                <input type="checkbox" aria-label="Select all on this page" checked={allSelected}
                  disabled={!pageRows.length} onChange={toggleAll} />
              </th>
            )}
            {spec.columns.map((column) => (
              <th key={column.key} scope="col">
                {spec.sort && column.sortable ? (
                  <button class="link" onClick={() => toggleSort(column.key)}>
                    {column.title}
                    {sort === column.key ? " ▲" : sort === `-${column.key}` ? " ▼" : ""}
                  </button>
                ) : (
                  column.title
                )}
              </th>
            ))}
            {rowActions && <th class="actions" scope="col"><span class="sr-only">Actions</span></th>}
          </tr>
          {filtered && (
            <tr class="filters">
              {selectable && <th />}
              {spec.columns.map((column) => (
                <th key={column.key}>
                  {column.filter &&
                    (column.choices ? (
                      <select aria-label={`Filter ${column.title}`} value={filters[column.filter] ?? ""}
                        onChange={(e) => {
                          setFilters({ ...filters, [column.filter!]: (e.target as HTMLSelectElement).value });
                          setOffset(0);
                        }}>
                        <option value="">all</option>
                        {column.choices.map((choice) => <option key={choice}>{choice}</option>)}
                      </select>
                    ) : (
                      <input aria-label={`Filter ${column.title}`} placeholder="contains, or a*glob?"
                        title="Contains (any case); * and ? match like a file glob over the whole value"
                        value={filters[column.filter] ?? ""}
                        onInput={(e) => {
                          setFilters({ ...filters, [column.filter!]: (e.target as HTMLInputElement).value });
                          setOffset(0);
                        }} />
                    ))}
                </th>
              ))}
              {rowActions && <th />}
            </tr>
          )}
        </thead>
        <tbody>
          {pageRows.map((row, index) => (
            <tr key={row.id ?? index} class={selected.has(row.id) ? "selected" : undefined}>
              {selectable && (
                <td class="select">
                  <input type="checkbox" aria-label={`Select ${nameOf(row)}`}
                    checked={selected.has(row.id)} onChange={() => toggle(row)} />
                </td>
              )}
              {spec.columns.map((column) => (
                <td key={column.key}>{cell(row, column)}</td>
              ))}
              {rowActions && (
                <td class="actions">
                  {editable && (
                    <>
                      <button class="quiet" aria-label={`Edit ${nameOf(row)}`}
                        onClick={() => setEditing({ mode: "edit", row })}>Edit</button>
                      <button class="quiet" aria-label={`Delete ${nameOf(row)}`}
                        onClick={() => setDoomed(row)}>Delete</button>
                    </>
                  )}
                  {spec.permissions && (
                    <PermissionsButton open={openPermissions}
                      target={{ kind: spec.permissions, id: Number(row.id), name: nameOf(row) }} />
                  )}
                </td>
              )}
            </tr>
          ))}
        </tbody>
      </table>
      {rows !== null && rows.length === 0 && (filtering ? (
        <p class="empty" role="status">
          No {spec.title.toLowerCase()} match the filters.{" "}
          <button class="link" onClick={clearFilters}>Clear filters</button>
        </p>
      ) : (
        <p class="empty">Nothing here yet.</p>
      ))}
      {spec.paged && (
        <nav class="pager" aria-label="Pages">
          <button disabled={offset === 0} onClick={() => setOffset(Math.max(0, offset - LIMIT))}>
            Previous
          </button>
          <span>
            {total ? offset + 1 : 0}–{Math.min(offset + LIMIT, total)} of {total}
          </span>
          <button disabled={offset + LIMIT >= total} onClick={() => setOffset(offset + LIMIT)}>
            Next
          </button>
        </nav>
      )}
      {doomed !== null && spec.resource && (
        <ConfirmDialog title={`Delete ${spec.resource.noun} ${nameOf(doomed)}?`}
          confirmLabel="Confirm delete" onConfirm={() => remove(doomed)}
          onClose={() => setDoomed(null)}>
          <p>{nameOf(doomed)} will be deleted. This cannot be undone.</p>
        </ConfirmDialog>
      )}
      {permissionsDialog}
      {editing && spec.resource && (
        <ResourceDialog
          resource={spec.resource}
          endpoint={spec.endpoint}
          row={editing.mode === "edit" ? (editing.row as Record<string, unknown>) : null}
          onSaved={saved}
          onClose={() => setEditing(null)}
        />
      )}
    </section>
  );
}
