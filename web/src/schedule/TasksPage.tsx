// Tasks: what runs when. The list (server-side paging and search), and for operators the
// create/edit form, pause/resume, run now and delete.
import type { ComponentChildren } from "preact";
import { useState } from "preact/hooks";
import { api } from "../api";
import { PermissionsButton, usePermissions } from "../forms/PermissionsDialog";
import { canEdit, useUser } from "../session";
import { type Column, DataTable, type TableSpec } from "../table";
import { compact, dateTime, relative } from "./dates";
import { message, type TaskRead } from "./model";
import { TaskForm } from "./TaskForm";
import "./schedule.css";

export function taskState(task: TaskRead): "paused" | "done" | "scheduled" {
  if (task.paused) return "paused";
  return task.next_fire_at ? "scheduled" : "done";
}

function schedule(task: TaskRead): ComponentChildren {
  if (task.kind === "once") return <>once · {task.start_at ? compact(task.start_at) : ""}</>;
  return (
    <>
      {task.summary}
      {task.kind === "cron" && <div class="sub"><code>{task.cron}</code></div>}
    </>
  );
}

function targets(task: TaskRead): ComponentChildren {
  const devices = task.targets?.devices ?? [];
  const pools = task.targets?.pools ?? [];
  if (!devices.length && !pools.length) return <span class="muted">the automation's</span>;
  return (
    <>
      {devices.join(", ")}
      {pools.length > 0 && <div class="sub">pools: {pools.join(", ")}</div>}
    </>
  );
}

export function TasksPage() {
  const user = useUser();
  const editable = canEdit(user);
  const [version, setVersion] = useState(0);
  const [editing, setEditing] = useState<{ task: TaskRead | null } | null>(null);
  const [doomed, setDoomed] = useState<number | null>(null);
  const [notice, setNotice] = useState<ComponentChildren>(null);
  const [error, setError] = useState<string | null>(null);
  const reload = () => setVersion((v) => v + 1);
  const [openPermissions, permissions] = usePermissions();

  const act = async (task: TaskRead, action: "pause" | "resume" | "run" | "delete") => {
    setError(null);
    setNotice(null);
    try {
      if (action === "delete") {
        await api(`/api/v1/tasks/${task.id}`, { method: "DELETE" });
        setDoomed(null);
        setNotice(<>Task <strong>{task.name}</strong> deleted.</>);
      } else if (action === "run") {
        const { run_id } = await api<{ run_id: string }>(`/api/v1/tasks/${task.id}/run`, { method: "POST" });
        setNotice(
          <>
            <strong>{task.automation}</strong> started for task {task.name}:{" "}
            <a href={`#/runs/${run_id}`}>open the run</a>
          </>,
        );
      } else {
        await api(`/api/v1/tasks/${task.id}/${action}`, { method: "POST" });
      }
      reload();
    } catch (exc) {
      setError(message(exc));
    }
  };

  const columns: Column<TaskRead>[] = [
    {
      key: "name",
      title: "Name",
      render: (t) => (
        <>
          <strong class="nowrap">{t.name}</strong>
          {t.description && <div class="sub">{t.description}</div>}
        </>
      ),
    },
    { key: "automation", title: "Runs" },
    { key: "summary", title: "Schedule", render: schedule },
    { key: "targets", title: "Targets", render: targets },
    {
      key: "next_fire_at",
      title: "Next firing",
      render: (t) =>
        t.next_fire_at && !t.paused ? (
          <>
            <span class="nowrap">{compact(t.next_fire_at)}</span>
            <div class="sub">{relative(t.next_fire_at)}</div>
          </>
        ) : (
          <span class="muted">—</span>
        ),
    },
    {
      key: "last_fire_at",
      title: "Last firing",
      render: (t) => (t.last_fire_at ? <span class="nowrap">{compact(t.last_fire_at)}</span> : <span class="muted">never</span>),
    },
    {
      key: "state",
      title: "State",
      render: (t) => <span class={`badge ${taskState(t)}`}>{taskState(t)}</span>,
    },
  ];
  columns.push({
    key: "actions",
    title: "Actions",
    render: (t) => {
      const access = <PermissionsButton open={openPermissions} target={{ kind: "task", id: t.id, name: t.name }} />;
      if (!editable) return <span class="row-actions">{access}</span>;
      return doomed === t.id ? (
        <span class="row-actions">
          <button class="danger" onClick={() => act(t, "delete")}>Confirm delete</button>
          <button class="quiet" onClick={() => setDoomed(null)}>Keep</button>
        </span>
      ) : (
        <span class="row-actions">
          <button class="quiet" aria-label={`Run ${t.name} now`} onClick={() => act(t, "run")}>Run now</button>
          {t.paused ? (
            <button class="quiet" aria-label={`Resume ${t.name}`} onClick={() => act(t, "resume")}>Resume</button>
          ) : (
            <button class="quiet" aria-label={`Pause ${t.name}`} onClick={() => act(t, "pause")}>Pause</button>
          )}
          <button class="quiet" aria-label={`Edit ${t.name}`} onClick={() => setEditing({ task: t })}>Edit</button>
          <button class="quiet" aria-label={`Delete ${t.name}`} onClick={() => setDoomed(t.id)}>Delete</button>
          {access}
        </span>
      );
    },
  });
  const spec: TableSpec<TaskRead> = {
    title: "Tasks",
    endpoint: "/api/v1/tasks",
    paged: true,
    search: "name",
    bulk: { noun: "task", deleteEndpoint: "/api/v1/tasks/bulk-delete" },
    columns,
    actions: (
      <>
        <a class="button-link quiet" href="#/calendar">Calendar</a>
        {editable && <button onClick={() => setEditing({ task: null })}>New task</button>}
      </>
    ),
  };
  return (
    <div class="schedule-page tasks-page">
      {(notice || error) && (
        <div class="page-messages">
          {notice && <p class="notice ok" role="status">{notice}</p>}
          {error && <p class="error" role="alert">{error}</p>}
        </div>
      )}
      <DataTable key={version} spec={spec} />
      {permissions}
      {editing && (
        <TaskForm
          task={editing.task}
          onClose={() => setEditing(null)}
          onSaved={(saved) => {
            setEditing(null);
            setNotice(
              <>
                Task <strong>{saved.name}</strong> saved
                {saved.next_fire_at && !saved.paused ? <> · next firing {dateTime(saved.next_fire_at)}</> : null}.
              </>,
            );
            reload();
          }}
        />
      )}
    </div>
  );
}
