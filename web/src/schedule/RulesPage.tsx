// Event rules: the list (what each matches, what it starts, how often it fired) and, for
// operators, the editor, an enable/disable switch per rule and delete.
import type { ComponentChildren } from "preact";
import { useState } from "preact/hooks";
import { api } from "../api";
import { PermissionsButton, usePermissions } from "../forms/PermissionsDialog";
import { canEdit, useUser } from "../session";
import { type Column, DataTable, type TableSpec } from "../table";
import { dateTime, relative } from "./dates";
import { FACILITIES, message, type RuleRead, SEVERITIES } from "./model";
import { RuleForm } from "./RuleForm";
import "./schedule.css";

function criteria(rule: RuleRead): ComponentChildren {
  const match = rule.match;
  const parts: ComponentChildren[] = [];
  if (match.max_severity !== undefined && match.max_severity !== null)
    parts.push(<span class={`sev sev-${match.max_severity}`}>{SEVERITIES[match.max_severity]} or worse</span>);
  if (match.regex) parts.push(<code class="regex" title={match.regex}>/{match.regex}/</code>);
  if (match.program) parts.push(<span class="crit">program {match.program}</span>);
  if (match.devices?.length) parts.push(<span class="crit">devices {match.devices.join(", ")}</span>);
  if (match.pool) parts.push(<span class="crit">pool {match.pool}</span>);
  if (match.facilities?.length)
    parts.push(<span class="crit">{match.facilities.map((f) => FACILITIES[f] ?? f).join(", ")}</span>);
  if (!parts.length) return <span class="muted">every message</span>;
  return <div class="criteria">{parts}</div>;
}

export function RulesPage() {
  const user = useUser();
  const editable = canEdit(user);
  const [version, setVersion] = useState(0);
  const [editing, setEditing] = useState<{ rule: RuleRead | null } | null>(null);
  const [doomed, setDoomed] = useState<string | null>(null);
  const [notice, setNotice] = useState<ComponentChildren>(null);
  const [error, setError] = useState<string | null>(null);
  const reload = () => setVersion((v) => v + 1);
  const [openPermissions, permissions] = usePermissions();
  const path = (rule: RuleRead) => `/api/v1/event-rules/${encodeURIComponent(rule.name)}`;

  const toggle = async (rule: RuleRead) => {
    setError(null);
    try {
      await api(path(rule), { method: "PATCH", body: JSON.stringify({ enabled: !rule.enabled }) });
      setNotice(<>Rule <strong>{rule.name}</strong> {rule.enabled ? "disabled" : "enabled"}.</>);
      reload();
    } catch (exc) {
      setError(message(exc));
    }
  };
  const remove = async (rule: RuleRead) => {
    setError(null);
    try {
      await api(path(rule), { method: "DELETE" });
      setDoomed(null);
      setNotice(<>Rule <strong>{rule.name}</strong> deleted.</>);
      reload();
    } catch (exc) {
      setError(message(exc));
    }
  };

  const columns: Column<RuleRead>[] = [
    {
      key: "name",
      title: "Name",
      render: (r) => (
        <>
          <strong class="nowrap">{r.name}</strong>
          {r.description && <div class="sub">{r.description}</div>}
        </>
      ),
    },
    {
      key: "enabled",
      title: "Enabled",
      render: (r) =>
        editable ? (
          <button type="button" role="switch" aria-checked={r.enabled} aria-label={`Enabled ${r.name}`}
            class={`toggle${r.enabled ? " on" : ""}`} onClick={() => toggle(r)}>
            <span class="knob" />
          </button>
        ) : (
          <span class={`badge ${r.enabled ? "success" : ""}`}>{r.enabled ? "enabled" : "disabled"}</span>
        ),
    },
    { key: "match", title: "Matches", render: criteria },
    { key: "automation", title: "Starts" },
    {
      key: "throttle",
      title: "Throttling",
      render: (r) => (
        <span class="muted nowrap">
          dedup {r.dedup_window} s · {r.rate_limit}/min
        </span>
      ),
    },
    {
      key: "fired",
      title: "Fired",
      render: (r) => (
        <>
          {r.fired}
          {r.last_fired_at && <div class="sub nowrap" title={dateTime(r.last_fired_at)}>{relative(r.last_fired_at)}</div>}
        </>
      ),
    },
  ];
  columns.push({
    key: "actions",
    title: "Actions",
    render: (r) => {
      const access = <PermissionsButton open={openPermissions} target={{ kind: "event_rule", id: r.id, name: r.name }} />;
      if (!editable) return <span class="row-actions">{access}</span>;
      return doomed === r.name ? (
        <span class="row-actions">
          <button class="danger" onClick={() => remove(r)}>Confirm delete</button>
          <button class="quiet" onClick={() => setDoomed(null)}>Keep</button>
        </span>
      ) : (
        <span class="row-actions">
          <button class="quiet" aria-label={`Edit ${r.name}`} onClick={() => setEditing({ rule: r })}>Edit</button>
          <button class="quiet" aria-label={`Delete ${r.name}`} onClick={() => setDoomed(r.name)}>Delete</button>
          {access}
        </span>
      );
    },
  });
  const spec: TableSpec<RuleRead> = {
    title: "Event rules",
    endpoint: "/api/v1/event-rules",
    columns,
    bulk: { noun: "rule", deleteEndpoint: "/api/v1/event-rules/bulk-delete", byName: true },
    actions: (
      <>
        <a class="button-link quiet" href="#/syslog">Syslog</a>
        {editable && <button onClick={() => setEditing({ rule: null })}>New rule</button>}
      </>
    ),
  };
  return (
    <div class="schedule-page rules-page">
      {(notice || error) && (
        <div class="page-messages">
          {notice && <p class="notice ok" role="status">{notice}</p>}
          {error && <p class="error" role="alert">{error}</p>}
        </div>
      )}
      <DataTable key={version} spec={spec} />
      {permissions}
      {editing && (
        <RuleForm
          rule={editing.rule}
          onClose={() => setEditing(null)}
          onSaved={(saved) => {
            setEditing(null);
            setNotice(<>Rule <strong>{saved.name}</strong> saved.</>);
            reload();
          }}
        />
      )}
    </div>
  );
}
