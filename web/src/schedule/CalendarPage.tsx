// The calendar: past runs (colored by status, each a link to its run) and the future firings
// of tasks, by month or by week. Operators click a free day or hour to schedule a task there.
import type { ComponentChildren } from "preact";
import { useEffect, useRef, useState } from "preact/hooks";
import { api } from "../api";
import { canEdit, useUser } from "../session";
import {
  addDays, addMonths, clock, dateTime, dayKey, longDay, MONTH_TITLE, sameDay, shortDate, startOfDay,
  startOfMonth, startOfWeek, WEEKDAY,
} from "./dates";
import { type CalendarEvent, message, type TaskRead } from "./model";
import { TaskForm } from "./TaskForm";
import "./schedule.css";

type View = "month" | "week";
const HOURS = Array.from({ length: 24 }, (_, hour) => hour);
const MONTH_CHIPS = 4;
const SLOT_PX = 46;
const LIVE = new Set(["running", "queued"]);
const LEGEND: [string, string][] = [
  ["success", "Succeeded"], ["failure", "Failed"], ["running", "Running"], ["scheduled", "Scheduled"], ["skipped", "Skipped"],
];

/** A chip: one event, or the firings of one task grouped (an every-minute task, say). */
interface Chip {
  event: CalendarEvent;
  count: number;
}

function chips(events: CalendarEvent[], groupOver: number): Chip[] {
  const firings = new Map<string, CalendarEvent[]>();
  for (const event of events) {
    if (event.kind === "firing" && event.status === "scheduled") {
      const key = event.task ?? event.title;
      firings.set(key, [...(firings.get(key) ?? []), event]);
    }
  }
  const out: Chip[] = [];
  const grouped = new Set<string>();
  for (const event of events) {
    const key = event.task ?? event.title;
    const same = event.kind === "firing" && event.status === "scheduled" ? firings.get(key)! : null;
    if (same && same.length > groupOver) {
      if (grouped.has(key)) continue;
      grouped.add(key);
      out.push({ event, count: same.length });
    } else out.push({ event, count: 1 });
  }
  return out;
}

function byDay(events: CalendarEvent[]): Map<string, CalendarEvent[]> {
  const days = new Map<string, CalendarEvent[]>();
  for (const event of events) {
    const key = dayKey(new Date(event.start));
    days.set(key, [...(days.get(key) ?? []), event]);
  }
  return days;
}

function ClockIcon() {
  return (
    <svg class="clock" viewBox="0 0 16 16" width="11" height="11" aria-hidden="true">
      <circle cx="8" cy="8" r="6.5" fill="none" stroke="currentColor" stroke-width="1.6" />
      <path d="M8 4.5V8l2.4 1.6" fill="none" stroke="currentColor" stroke-width="1.6" stroke-linecap="round" />
    </svg>
  );
}

function EventChip({ chip, onTask }: { chip: Chip; onTask: ((id: number) => void) | null }) {
  const { event, count } = chip;
  const time = clock(event.start);
  const name = event.kind === "run" ? event.title : event.task ?? event.title;
  const times = count > 1 ? ` ×${count}` : "";
  if (event.kind === "run" && event.run_id) {
    const tip = `${event.title} · ${event.status} · ${event.trigger ?? ""}${event.task ? ` · task ${event.task}` : ""} · ${dateTime(event.start)}`;
    return (
      <a class={`chip run ${event.status}`} href={`#/runs/${event.run_id}`} title={tip}>
        <span class="dot" /><span class="time">{time}</span> <span class="name">{name}</span>
      </a>
    );
  }
  const tip = `Task ${event.task} runs ${event.title}${count > 1 ? ` ${count} times` : ""} · ${event.status}${event.error ? ` · ${event.error}` : ""}`;
  const body = (
    <>
      <ClockIcon />
      <span class="time">{time}</span> <span class="name">{name}{times}</span>
    </>
  );
  if (event.status === "scheduled" && onTask && event.task_id !== null) {
    const id = event.task_id;
    return (
      <button type="button" class="chip firing scheduled" title={tip} onClick={() => onTask(id)}>{body}</button>
    );
  }
  return <span class={`chip firing ${event.status}`} title={tip}>{body}</span>;
}

/** The first moment a new task may take in [start, end): start, or soon when that is past. */
function bookable(start: Date, end: Date): Date | null {
  const now = new Date();
  if (end <= now) return null;
  if (start > now) return start;
  const soon = new Date(Math.ceil((now.getTime() + 60_000) / 300_000) * 300_000); // next 5 min
  return soon < end ? soon : null;
}

export function CalendarPage() {
  const user = useUser();
  const editable = canEdit(user);
  const [view, setView] = useState<View>("month");
  const [anchor, setAnchor] = useState(() => startOfDay(new Date()));
  const [events, setEvents] = useState<CalendarEvent[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [notice, setNotice] = useState<ComponentChildren>(null);
  const [version, setVersion] = useState(0);
  const [editing, setEditing] = useState<{ task: TaskRead | null; start: Date | null } | null>(null);
  const scroller = useRef<HTMLDivElement>(null);
  const now = new Date();
  const today = startOfDay(now);
  const first = view === "month" ? startOfWeek(startOfMonth(anchor)) : startOfWeek(anchor);
  const days = Array.from({ length: view === "month" ? 42 : 7 }, (_, n) => addDays(first, n));
  const end = addDays(first, days.length);
  const live = (events ?? []).some((e) => LIVE.has(e.status));

  useEffect(() => {
    let stale = false;
    let timer: number | undefined;
    const load = () =>
      api<CalendarEvent[]>(`/api/v1/calendar?from=${encodeURIComponent(first.toISOString())}&to=${encodeURIComponent(end.toISOString())}`).then(
        (found) => {
          if (stale) return;
          setEvents(found);
          setError(null);
          timer = window.setTimeout(load, found.some((e) => LIVE.has(e.status)) ? 3000 : 30000);
        },
        (exc) => !stale && setError(message(exc)),
      );
    load();
    return () => {
      stale = true;
      window.clearTimeout(timer);
    };
  }, [first.getTime(), view, version]);

  useEffect(() => {
    if (view !== "week" || !scroller.current) return;
    const thisWeek = days.some((d) => sameDay(d, new Date()));
    scroller.current.scrollTop = SLOT_PX * Math.max(0, (thisWeek ? new Date().getHours() : 8) - 1);
  }, [view, first.getTime()]);

  const move = (step: number) =>
    setAnchor(view === "month" ? addMonths(anchor, step) : addDays(anchor, 7 * step));
  const openTask = editable
    ? async (id: number) => {
        try {
          setEditing({ task: await api<TaskRead>(`/api/v1/tasks/${id}`), start: null });
        } catch (exc) {
          setError(message(exc));
        }
      }
    : null;
  const create = (start: Date | null) => editable && start && setEditing({ task: null, start });
  const onEmpty = (start: Date | null) => (e: MouseEvent) => {
    if ((e.target as HTMLElement).closest("a, button")) return;
    create(start);
  };
  const grouped = byDay(events ?? []);
  const title =
    view === "month"
      ? MONTH_TITLE.format(anchor)
      : `${shortDate(first)} – ${shortDate(addDays(first, 6))}, ${addDays(first, 6).getFullYear()}`;

  return (
    <section aria-label="Calendar" class="schedule-page calendar-page">
      <div class="toolbar calendar-toolbar">
        <h2>Calendar</h2>
        <div class="nav-buttons">
          <button class="quiet" aria-label="Previous" onClick={() => move(-1)}>‹</button>
          <button class="quiet" onClick={() => setAnchor(startOfDay(new Date()))}>Today</button>
          <button class="quiet" aria-label="Next" onClick={() => move(1)}>›</button>
        </div>
        <h3 class="period" aria-live="polite">{title}</h3>
        <div class="segmented buttons" role="group" aria-label="View">
          {(["month", "week"] as View[]).map((v) => (
            <button key={v} type="button" class={view === v ? "on" : ""} aria-pressed={view === v} onClick={() => setView(v)}>
              {v === "month" ? "Month" : "Week"}
            </button>
          ))}
        </div>
        {editable && (
          <button onClick={() => create(new Date(today.getFullYear(), today.getMonth(), today.getDate() + 1, 9))}>
            New task
          </button>
        )}
      </div>
      <div class="legend" aria-label="Legend">
        {LEGEND.map(([status, label]) => (
          <span key={status} class={`legend-item ${status}`}><span class="swatch" />{label}</span>
        ))}
        {live && <span class="legend-item muted">· refreshing while runs are in progress</span>}
        {editable && <span class="hint">Click a free day{view === "week" ? " or hour" : ""} to schedule a task there</span>}
      </div>
      {notice && <p class="notice ok" role="status">{notice}</p>}
      {error && <p class="error" role="alert">{error}</p>}

      {view === "month" ? (
        <div class="month" role="grid" aria-label={`Month ${title}`}>
          <div role="row" class="month-head">
            {days.slice(0, 7).map((day) => (
              <div role="columnheader" key={day.getDay()}>{WEEKDAY.format(day)}</div>
            ))}
          </div>
          {[0, 1, 2, 3, 4, 5].map((week) => (
            <div role="row" class="month-row" key={week}>
              {days.slice(week * 7, week * 7 + 7).map((day) => {
                const list = chips(grouped.get(dayKey(day)) ?? [], 2);
                const start = sameDay(day, today)
                  ? bookable(day, addDays(day, 1))
                  : bookable(new Date(day.getFullYear(), day.getMonth(), day.getDate(), 9), addDays(day, 1));
                const classes = [
                  "day",
                  day.getMonth() !== anchor.getMonth() ? "outside" : "",
                  sameDay(day, today) ? "today" : "",
                  day < today ? "past" : "",
                  editable && start ? "bookable" : "",
                ].join(" ");
                return (
                  <div role="gridcell" key={dayKey(day)} class={classes} aria-label={longDay(day)} onClick={onEmpty(start)}>
                    <div class="day-head">
                      <span class="num">{day.getDate()}</span>
                      {editable && start && (
                        <button type="button" class="add" aria-label={`New task on ${longDay(day)}`} onClick={() => create(start)}>+</button>
                      )}
                    </div>
                    <div class="chips">
                      {list.slice(0, MONTH_CHIPS).map((chip, n) => <EventChip key={n} chip={chip} onTask={openTask} />)}
                      {list.length > MONTH_CHIPS && (
                        <button type="button" class="more" onClick={() => { setAnchor(day); setView("week"); }}>
                          +{list.length - MONTH_CHIPS} more
                        </button>
                      )}
                    </div>
                  </div>
                );
              })}
            </div>
          ))}
        </div>
      ) : (
        <div class="week" role="grid" aria-label={`Week ${title}`}>
          <div role="row" class="week-head">
            <div class="corner" />
            {days.map((day) => (
              <div role="columnheader" key={dayKey(day)} class={sameDay(day, today) ? "today" : ""}>
                <span class="wd">{WEEKDAY.format(day)}</span> <span class="num">{day.getDate()}</span>
              </div>
            ))}
          </div>
          <div class="week-body" ref={scroller}>
            {HOURS.map((hour) => (
              <div role="row" class="hour-row" key={hour}>
                <div role="rowheader" class="hour">{String(hour).padStart(2, "0")}:00</div>
                {days.map((day) => {
                  const slot = new Date(day.getFullYear(), day.getMonth(), day.getDate(), hour);
                  const start = bookable(slot, new Date(slot.getTime() + 3_600_000));
                  const list = chips(
                    (grouped.get(dayKey(day)) ?? []).filter((e) => new Date(e.start).getHours() === hour),
                    2,
                  );
                  return (
                    <div role="gridcell" key={dayKey(day)} aria-label={`${longDay(day)} ${String(hour).padStart(2, "0")}:00`}
                      class={`slot${editable && start ? " bookable" : ""}${start ? "" : " past"}`} onClick={onEmpty(start)}>
                      {sameDay(day, now) && hour === now.getHours() && (
                        <span class="now-line" style={{ top: `${(100 * now.getMinutes()) / 60}%` }} aria-hidden="true" />
                      )}
                      {list.map((chip, n) => <EventChip key={n} chip={chip} onTask={openTask} />)}
                    </div>
                  );
                })}
              </div>
            ))}
          </div>
        </div>
      )}
      {events !== null && events.length === 0 && (
        <p class="empty">Nothing ran or is scheduled in this {view}.</p>
      )}

      {editing && (
        <TaskForm
          task={editing.task}
          start={editing.start}
          onClose={() => setEditing(null)}
          onSaved={(saved) => {
            setEditing(null);
            setNotice(
              <>
                Task <strong>{saved.name}</strong> saved
                {saved.next_fire_at && !saved.paused ? <> · next firing {dateTime(saved.next_fire_at)}</> : null}.
              </>,
            );
            setVersion((v) => v + 1);
          }}
        />
      )}
    </section>
  );
}
