// The syslog viewer: severity-colored messages, filters (device, severity at or above,
// program, text, time range), a live tail, counters of the receiving server, and one message's
// details with the rules it matched and the runs they started.
import type { ComponentChildren } from "preact";
import { useEffect, useRef, useState } from "preact/hooks";
import { api, type Page } from "../api";
import { clockSeconds, dateTime, fromLocalInput, relative, sameDay, shortDate, toLocalInput } from "./dates";
import {
  FACILITIES, message, SEVERITIES, type SyslogDetail, type SyslogRead, type SyslogStats, useNames,
} from "./model";
import "./schedule.css";

const LIMIT = 100;
const TAIL_MS = 2000;
const RANGES: [string, number | null][] = [["15 min", 15], ["1 hour", 60], ["24 hours", 1440], ["7 days", 10080], ["All", null]];

interface Filters {
  device: string;
  severity: string; // "" or 0..7: that level or worse
  program: string;
  q: string;
  since: string; // datetime-local
  until: string;
}

const EMPTY: Filters = { device: "", severity: "", program: "", q: "", since: "", until: "" };

function useSettled<V>(value: V, delay = 300): V {
  const [settled, setSettled] = useState(value);
  useEffect(() => {
    const timer = setTimeout(() => setSettled(value), delay);
    return () => clearTimeout(timer);
  }, [JSON.stringify(value)]);
  return settled;
}

function params(filters: Filters, live: boolean): URLSearchParams {
  const out = new URLSearchParams();
  if (filters.device) out.set("device", filters.device);
  if (filters.severity) out.set("max_severity", filters.severity);
  if (filters.program) out.set("program", filters.program);
  if (filters.q) out.set("q", filters.q);
  const since = fromLocalInput(filters.since);
  const until = fromLocalInput(filters.until);
  if (since) out.set("since", since);
  if (until && !live) out.set("until", until);
  return out;
}

function Severity({ level }: { level: number }) {
  return <span class={`sev sev-${level}`}>{SEVERITIES[level] ?? level}</span>;
}

function Stats({ stats, missing }: { stats: SyslogStats | null; missing: boolean }) {
  if (missing) {
    return (
      <p class="muted stats-note">
        No syslog listener runs in this server process: the counters live in the <code>netweave syslog</code> process.
      </p>
    );
  }
  if (!stats) return null;
  const ports = Object.entries(stats.listening)
    .filter(([, port]) => port !== null)
    .map(([proto, port]) => `${proto} ${port}`)
    .join(" · ");
  const tiles: [string, ComponentChildren, string?][] = [
    ["received", stats.received],
    ["stored", stats.stored],
    ["dropped", stats.dropped, stats.dropped ? "bad" : ""],
    ["rules fired", stats.rules_fired],
    ["queued", `${stats.queue_depth} / ${stats.queue_capacity}`],
    ["listening", ports || "—", "small"],
  ];
  return (
    <div class="tiles syslog-stats" aria-label="Syslog server counters">
      {tiles.map(([label, value, tone]) => (
        <div class={`tile ${tone ?? ""}`} key={label}>
          <strong>{value}</strong>
          <span>{label}</span>
        </div>
      ))}
    </div>
  );
}

function Details({ id, onClose }: { id: number; onClose: () => void }) {
  const [detail, setDetail] = useState<SyslogDetail | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    let stale = false;
    let timer: number | undefined;
    const load = () =>
      api<SyslogDetail>(`/api/v1/syslog/${id}`).then(
        (found) => {
          if (stale) return;
          setDetail(found);
          // a fired rule's run starts just after: look again until it has one
          if (found.matches.some((m) => m.status === "fired" && (!m.run_id || m.run_status === "running" || m.run_status === "queued")))
            timer = window.setTimeout(load, 1500);
        },
        (exc) => !stale && setError(message(exc)),
      );
    load();
    return () => {
      stale = true;
      window.clearTimeout(timer);
    };
  }, [id]);
  const extra = detail?.extra ?? {};
  return (
    <aside class="card syslog-detail" aria-label="Message details">
      <header>
        <h3>Message #{id}</h3>
        <button type="button" class="quiet" aria-label="Close details" onClick={onClose}>✕</button>
      </header>
      {error && <p class="error" role="alert">{error}</p>}
      {detail && (
        <>
          <pre class={`message sev-line-${detail.severity}`}>{detail.message}</pre>
          <dl>
            <dt>Severity</dt><dd><Severity level={detail.severity} /> ({detail.severity})</dd>
            <dt>Received</dt><dd>{dateTime(detail.received_at)} · {relative(detail.received_at)}</dd>
            <dt>Device</dt><dd>{detail.device ? <a href="#/devices">{detail.device}</a> : <span class="muted">not in the inventory</span>}</dd>
            <dt>Hostname</dt><dd>{detail.hostname || "—"}</dd>
            <dt>Source</dt><dd>{detail.source || "—"}</dd>
            <dt>Program</dt><dd>{detail.program || "—"}{extra.pid ? ` [${extra.pid}]` : ""}</dd>
            <dt>Facility</dt><dd>{FACILITIES[detail.facility] ?? detail.facility} ({detail.facility})</dd>
            <dt>Format</dt><dd>RFC {extra.rfc ?? "?"}{extra.msgid ? ` · msgid ${extra.msgid}` : ""}</dd>
            {extra.timestamp && (<><dt>Sent at</dt><dd>{dateTime(extra.timestamp)}</dd></>)}
          </dl>
          {extra.structured && <pre class="result">{JSON.stringify(extra.structured, null, 2)}</pre>}
          <h4>Event rules</h4>
          {detail.matches.length === 0 ? (
            <p class="muted">No rule matched this message.</p>
          ) : (
            <ul class="matches" aria-label="Matched rules">
              {detail.matches.map((m) => (
                <li key={`${m.rule}-${m.at}`}>
                  <div>
                    <a href="#/rules"><strong>{m.rule}</strong></a>{" "}
                    <span class={`badge ${m.status === "fired" ? "success" : m.status === "error" ? "failure" : "muted"}`}>{m.status.replace("_", " ")}</span>
                  </div>
                  {Object.keys(m.groups).length > 0 && (
                    <div class="groups">
                      {Object.entries(m.groups).map(([k, v]) => <code key={k}>{k}={String(v)}</code>)}
                    </div>
                  )}
                  {m.run_id ? (
                    <div>
                      → <a href={`#/runs/${m.run_id}`}>run on {m.device || "its targets"}</a>{" "}
                      {m.run_status && <span class={`badge ${m.run_status}`}>{m.run_status}</span>}
                    </div>
                  ) : m.error ? (
                    <div class="error">{m.error}</div>
                  ) : m.status === "fired" ? (
                    <div class="muted">starting a run…</div>
                  ) : null}
                </li>
              ))}
            </ul>
          )}
        </>
      )}
    </aside>
  );
}

export function SyslogPage() {
  const [filters, setFilters] = useState<Filters>(EMPTY);
  const [live, setLive] = useState(false);
  const [offset, setOffset] = useState(0);
  const [page, setPage] = useState<Page<SyslogRead> | null>(null);
  const [counts, setCounts] = useState<number[]>([]);
  const [stats, setStats] = useState<SyslogStats | null>(null);
  const [noListener, setNoListener] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [selected, setSelected] = useState<number | null>(null);
  const [tick, setTick] = useState(0);
  const [fresh, setFresh] = useState<Set<number>>(new Set());
  const seen = useRef<number>(0);
  const devices = useNames("/api/v1/devices?limit=500&sort=name");
  const settled = useSettled(filters);
  const query = params(settled, live);
  const set = (patch: Partial<Filters>) => {
    setFilters({ ...filters, ...patch });
    setOffset(0);
  };

  useEffect(() => {
    let stale = false;
    const search = new URLSearchParams(query);
    search.set("limit", String(LIMIT));
    search.set("offset", String(offset));
    api<Page<SyslogRead>>(`/api/v1/syslog?${search}`).then(
      (found) => {
        if (stale) return;
        setError(null);
        const newest = found.items[0]?.id ?? 0;
        if (tick > 0 && seen.current) setFresh(new Set(found.items.filter((m) => m.id > seen.current).map((m) => m.id)));
        seen.current = Math.max(seen.current, newest);
        setPage(found);
      },
      (exc) => !stale && setError(message(exc)),
    );
    const counted = new URLSearchParams(query);
    counted.delete("max_severity");
    api<{ severity: number; count: number }[]>(`/api/v1/syslog/severities?${counted}`).then(
      (found) => !stale && setCounts(found.map((c) => c.count)),
      () => undefined,
    );
    api<SyslogStats>("/api/v1/syslog/stats").then(
      (found) => {
        if (stale) return;
        setStats(found.running ? found : null);
        setNoListener(!found.running);
      },
      () => undefined,
    );
    return () => {
      stale = true;
    };
  }, [query.toString(), offset, tick]);

  useEffect(() => {
    if (!live) return;
    setOffset(0);
    const timer = window.setInterval(() => setTick((n) => n + 1), TAIL_MS);
    return () => window.clearInterval(timer);
  }, [live]);

  const range = (minutes: number | null) =>
    set({ since: minutes === null ? "" : toLocalInput(new Date(Date.now() - minutes * 60_000)), until: "" });
  const total = page?.total ?? 0;
  const now = new Date();
  const active = Object.entries(filters).some(([, v]) => v);

  return (
    <section aria-label="Syslog" class="schedule-page syslog-page">
      <div class="toolbar">
        <h2>
          Syslog <small>{total}</small>
        </h2>
        <label class={`switch${live ? " on" : ""}`}>
          <input type="checkbox" role="switch" checked={live} aria-checked={live}
            onChange={(e) => setLive((e.target as HTMLInputElement).checked)} />
          <span class="track"><span class="knob" /></span>
          Live tail
        </label>
        <button class="quiet" onClick={() => setTick(tick + 1)}>Refresh</button>
      </div>
      <Stats stats={stats} missing={noListener} />

      <div class="severity-bar" role="group" aria-label="Severities">
        {SEVERITIES.map((name, level) => {
          const on = filters.severity !== "" && level <= Number(filters.severity);
          return (
            <button type="button" key={name} class={`sev-count sev-${level}${on ? " on" : ""}`}
              aria-pressed={on} title={`Show ${name} and worse`}
              onClick={() => set({ severity: filters.severity === String(level) ? "" : String(level) })}>
              <span class="n">{counts[level] ?? 0}</span> {name}
            </button>
          );
        })}
      </div>

      <form class="filters-bar" role="search" aria-label="Syslog filters" onSubmit={(e) => e.preventDefault()}>
        <label>
          Device
          <input list="syslog-devices" value={filters.device} placeholder="any"
            onInput={(e) => set({ device: (e.target as HTMLInputElement).value })} />
          <datalist id="syslog-devices">{devices.map((name) => <option key={name} value={name} />)}</datalist>
        </label>
        <label>
          Severity at or above
          <select value={filters.severity} onChange={(e) => set({ severity: (e.target as HTMLSelectElement).value })}>
            <option value="">any</option>
            {SEVERITIES.map((name, level) => <option key={name} value={String(level)}>{level} · {name}</option>)}
          </select>
        </label>
        <label>
          Program
          <input value={filters.program} placeholder="any"
            onInput={(e) => set({ program: (e.target as HTMLInputElement).value })} />
        </label>
        <label class="grow">
          Text
          <input type="search" value={filters.q} placeholder="Search the messages"
            onInput={(e) => set({ q: (e.target as HTMLInputElement).value })} />
        </label>
        <span class="break" aria-hidden="true" />
        <label>
          From
          <input type="datetime-local" value={filters.since} onInput={(e) => set({ since: (e.target as HTMLInputElement).value })} />
        </label>
        <label>
          To
          <input type="datetime-local" value={filters.until} disabled={live}
            onInput={(e) => set({ until: (e.target as HTMLInputElement).value })} />
        </label>
        <div class="ranges" role="group" aria-label="Time range">
          {RANGES.map(([label, minutes]) => (
            <button type="button" key={label} class="chip-button" onClick={() => range(minutes)}>{label}</button>
          ))}
          {active && <button type="button" class="chip-button clear" onClick={() => set(EMPTY)}>Clear filters</button>}
        </div>
      </form>
      {error && <p class="error" role="alert">{error}</p>}

      <div class={`syslog-body${selected !== null ? " with-detail" : ""}`}>
        <div class="log-pane">
          <table class="grid syslog" aria-label="Messages">
            <thead>
              <tr>
                <th scope="col">Time</th>
                <th scope="col">Severity</th>
                <th scope="col">Device</th>
                <th scope="col" class="program">Program</th>
                <th scope="col">Message</th>
              </tr>
            </thead>
            <tbody>
              {(page?.items ?? []).map((m) => {
                const when = new Date(m.received_at);
                return (
                  <tr key={m.id} class={`sev-row sev-line-${m.severity}${selected === m.id ? " selected" : ""}${fresh.has(m.id) ? " fresh" : ""}`}
                    tabIndex={0} aria-selected={selected === m.id}
                    onClick={() => setSelected(selected === m.id ? null : m.id)}
                    onKeyDown={(e) => e.key === "Enter" && setSelected(m.id)}>
                    <td class="time" title={dateTime(when)}>
                      {!sameDay(when, now) && <span class="date">{shortDate(when)} </span>}
                      {clockSeconds(when)}
                    </td>
                    <td><Severity level={m.severity} /></td>
                    <td>{m.device || <span class="muted">{m.hostname || m.source}</span>}</td>
                    <td class="program">{m.program}</td>
                    <td class="message">{m.message}</td>
                  </tr>
                );
              })}
            </tbody>
          </table>
          {page && page.items.length === 0 && (
            <p class="empty">{active ? "No message matches these filters." : "No syslog message received yet."}</p>
          )}
          <nav class="pager" aria-label="Pages">
            <button disabled={offset === 0} onClick={() => setOffset(Math.max(0, offset - LIMIT))}>Newer</button>
            <span>
              {total ? offset + 1 : 0}–{Math.min(offset + LIMIT, total)} of {total}
            </span>
            <button disabled={live || offset + LIMIT >= total} onClick={() => setOffset(offset + LIMIT)}>Older</button>
          </nav>
        </div>
        {selected !== null && <Details id={selected} onClose={() => setSelected(null)} />}
      </div>
    </section>
  );
}
