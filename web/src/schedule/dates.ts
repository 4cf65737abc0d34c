// Local-time calendar arithmetic and formatting (the API speaks UTC ISO 8601).

export const DAY_MS = 86_400_000;

export function startOfDay(date: Date): Date {
  return new Date(date.getFullYear(), date.getMonth(), date.getDate());
}

export function addDays(date: Date, days: number): Date {
  return new Date(date.getFullYear(), date.getMonth(), date.getDate() + days, date.getHours(), date.getMinutes());
}

/** Monday of the week holding ``date``. */
export function startOfWeek(date: Date): Date {
  const day = startOfDay(date);
  return addDays(day, -((day.getDay() + 6) % 7));
}

export function startOfMonth(date: Date): Date {
  return new Date(date.getFullYear(), date.getMonth(), 1);
}

export function addMonths(date: Date, months: number): Date {
  return new Date(date.getFullYear(), date.getMonth() + months, 1);
}

export function sameDay(a: Date, b: Date): boolean {
  return a.getFullYear() === b.getFullYear() && a.getMonth() === b.getMonth() && a.getDate() === b.getDate();
}

/** "2026-12-01", in local time: a key per calendar day. */
export function dayKey(date: Date): string {
  const pad = (n: number) => String(n).padStart(2, "0");
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}`;
}

/** The value of an <input type="datetime-local"> for ``date`` (local time, minutes). */
export function toLocalInput(date: Date | string | null): string {
  if (!date) return "";
  const when = typeof date === "string" ? new Date(date) : date;
  const pad = (n: number) => String(n).padStart(2, "0");
  return `${dayKey(when)}T${pad(when.getHours())}:${pad(when.getMinutes())}`;
}

/** An <input type="datetime-local"> value as ISO 8601 UTC (what the API wants), or null. */
export function fromLocalInput(value: string): string | null {
  if (!value) return null;
  const when = new Date(value); // no offset: the browser's local time
  return Number.isNaN(when.getTime()) ? null : when.toISOString();
}

const TIME = new Intl.DateTimeFormat(undefined, { hour: "2-digit", minute: "2-digit", hour12: false });
const SECONDS = new Intl.DateTimeFormat(undefined, { hour: "2-digit", minute: "2-digit", second: "2-digit", hour12: false });
const LONG_DAY = new Intl.DateTimeFormat(undefined, { weekday: "long", day: "numeric", month: "long", year: "numeric" });
const SHORT = new Intl.DateTimeFormat(undefined, { weekday: "short", day: "numeric", month: "short", year: "numeric", hour: "2-digit", minute: "2-digit", hour12: false });
const DATE = new Intl.DateTimeFormat(undefined, { day: "numeric", month: "short" });
export const MONTH_TITLE = new Intl.DateTimeFormat(undefined, { month: "long", year: "numeric" });
export const WEEKDAY = new Intl.DateTimeFormat(undefined, { weekday: "short" });

export const clock = (date: Date | string) => TIME.format(new Date(date));
export const clockSeconds = (date: Date | string) => SECONDS.format(new Date(date));
export const longDay = (date: Date) => LONG_DAY.format(date);
export const shortDate = (date: Date | string) => DATE.format(new Date(date));
export const dateTime = (date: Date | string) => SHORT.format(new Date(date));
const COMPACT = new Intl.DateTimeFormat(undefined, { day: "numeric", month: "short", hour: "2-digit", minute: "2-digit", hour12: false });

/** "Nov 25, 09:00" this year, with the year otherwise: for tables. */
export function compact(date: Date | string): string {
  const when = new Date(date);
  return when.getFullYear() === new Date().getFullYear() ? COMPACT.format(when) : SHORT.format(when);
}

/** "in 3 hours", "5 minutes ago": how far ``date`` is from now. */
export function relative(date: Date | string, now = Date.now()): string {
  const seconds = Math.round((new Date(date).getTime() - now) / 1000);
  const units: [Intl.RelativeTimeFormatUnit, number][] = [
    ["day", 86_400], ["hour", 3_600], ["minute", 60], ["second", 1],
  ];
  const format = new Intl.RelativeTimeFormat(undefined, { numeric: "auto" });
  for (const [unit, size] of units) {
    if (Math.abs(seconds) >= size || unit === "second") return format.format(Math.round(seconds / size), unit);
  }
  return "";
}

/** The browser's time zone (a cron task's default clock). */
export function localZone(): string {
  return Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC";
}
