// A list page: server-side paging, sorting, search and column filters; create/edit/delete
// through forms generated from the API's own schemas; Excel/CSV/YAML import and export.
import type { ComponentChildren } from "preact";
import { useEffect, useState } from "preact/hooks";
import { api, type Page } from "./api";
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
  const [doomed, setDoomed] = useState<T["id"] | null>(null);
  const query = useSettled({ search, filters });
  const editable = Boolean(spec.resource) && canEdit(user);
  const filtered = spec.columns.some((c) => c.filter);

  useEffect(() => {
    const params = new URLSearchParams(spec.params ?? {});
    if (spec.paged) {
      params.set("limit", String(LIMIT));
      params.set("offset", String(offset));
    }
    if (spec.search && query.search) params.set(spec.search, query.search);
    for (const [key, value] of Object.entries(query.filters)) if (value) params.set(key, value);
    if (spec.sort && sort) params.set("sort", sort);
    const url = `${spec.endpoint}${params.size ? `?${params}` : ""}`;
    let stale = false;
    api<Page<T> | T[]>(url).then(
      (answer) => {
        if (stale) return;
        setError(null);
        if (Array.isArray(answer)) {
          const needle = query.search.toLowerCase();
          const kept = needle
            ? answer.filter((row) => JSON.stringify(row).toLowerCase().includes(needle))
            : answer;
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
    try {
      await api(`${spec.endpoint}/${row.id}`, { method: "DELETE" });
      setDoomed(null);
      setVersion(version + 1);
    } catch (exc) {
      setError(exc instanceof Error ? exc.message : String(exc));
    }
  };
  const saved = () => {
    setEditing(null);
    setVersion(version + 1);
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
          <TransferBar kind={spec.transfer} canImport={canEdit(user)} onImported={() => setVersion(version + 1)} />
        )}
        {editable && spec.resource && (
          <button onClick={() => setEditing({ mode: "create" })}>New {spec.resource.noun}</button>
        )}
      </div>
      {error && <p class="error" role="alert">{error}</p>}
      <table class="grid" aria-label={`${spec.title} table`}>
        <thead>
          <tr>
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
            {editable && <th class="actions" scope="col"><span class="sr-only">Actions</span></th>}
          </tr>
          {filtered && (
            <tr class="filters">
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
                      <input aria-label={`Filter ${column.title}`} placeholder="filter"
                        value={filters[column.filter] ?? ""}
                        onInput={(e) => {
                          setFilters({ ...filters, [column.filter!]: (e.target as HTMLInputElement).value });
                          setOffset(0);
                        }} />
                    ))}
                </th>
              ))}
              {editable && <th />}
            </tr>
          )}
        </thead>
        <tbody>
          {(rows ?? []).map((row, index) => (
            <tr key={row.id ?? index}>
              {spec.columns.map((column) => (
                <td key={column.key}>{cell(row, column)}</td>
              ))}
              {editable && (
                <td class="actions">
                  {doomed === row.id ? (
                    <>
                      <button class="danger" onClick={() => remove(row)}>Confirm delete</button>
                      <button class="quiet" onClick={() => setDoomed(null)}>Keep</button>
                    </>
                  ) : (
                    <>
                      <button class="quiet" aria-label={`Edit ${String(row.name ?? row.id)}`}
                        onClick={() => setEditing({ mode: "edit", row })}>Edit</button>
                      <button class="quiet" aria-label={`Delete ${String(row.name ?? row.id)}`}
                        onClick={() => setDoomed(row.id ?? null)}>Delete</button>
                    </>
                  )}
                </td>
              )}
            </tr>
          ))}
        </tbody>
      </table>
      {rows !== null && rows.length === 0 && <p class="empty">Nothing here yet.</p>}
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
