/**
 * Analytics days: Asia/Shanghai calendar days (the business time zone of settlements), written
 * "YYYY-MM-DD". Day D covers [D 00:00+08, D+1 00:00+08). Asia/Shanghai has kept UTC+8 without
 * daylight saving since 1991, so a day's bounds are fixed offsets; the SQL reads days the same way
 * (`(at at time zone 'Asia/Shanghai')::date`).
 */
// Written out, not imported from money (SETTLEMENT_TIME_ZONE, the same zone): the task registry
// imports this domain, and money imports the registry.
export const ANALYTICS_TIME_ZONE = 'Asia/Shanghai';

/** The zone's offset from UTC, as SQL and ISO 8601 write it. */
const OFFSET = '+08:00';
const DAY_MS = 86_400_000;
const DAY = /^(\d{4})-(\d{2})-(\d{2})$/;

const FORMAT = new Intl.DateTimeFormat('en-CA', { timeZone: ANALYTICS_TIME_ZONE, year: 'numeric', month: '2-digit', day: '2-digit' });

/** The analytics day of `at`, YYYY-MM-DD. */
export function dayOf(at: Date): string {
  const parts = Object.fromEntries(FORMAT.formatToParts(at).map((p) => [p.type, p.value]));
  return `${parts.year}-${parts.month}-${parts.day}`;
}

/** Whether `value` is a real calendar day written YYYY-MM-DD (2026-02-30 is not). */
export function isDay(value: string): boolean {
  const m = DAY.exec(value);
  if (!m) return false;
  const d = new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])));
  return d.getUTCFullYear() === Number(m[1]) && d.getUTCMonth() === Number(m[2]) - 1 && d.getUTCDate() === Number(m[3]);
}

function assertDay(day: string): void {
  if (!isDay(day)) throw new Error(`Not a day (YYYY-MM-DD): ${JSON.stringify(day)}`);
}

/** The first instant of `day` (00:00 Asia/Shanghai). */
export function dayStart(day: string): Date {
  assertDay(day);
  return new Date(`${day}T00:00:00${OFFSET}`);
}

/** The first instant after `day`: the start of the next day. */
export function dayEnd(day: string): Date {
  return dayStart(addDays(day, 1));
}

/** `day` moved by `n` calendar days (negative: back). */
export function addDays(day: string, n: number): string {
  assertDay(day);
  return new Date(Date.parse(`${day}T00:00:00Z`) + n * DAY_MS).toISOString().slice(0, 10);
}

/** Calendar days from `from` to `to`, both ends included (0 when `to` is before `from`). */
export function daysInRange(from: string, to: string): number {
  assertDay(from);
  assertDay(to);
  return Math.max(0, Math.round((Date.parse(`${to}T00:00:00Z`) - Date.parse(`${from}T00:00:00Z`)) / DAY_MS) + 1);
}

/** The earlier of two days. */
export function minDay(a: string, b: string): string {
  return a <= b ? a : b;
}

/** The later of two days. */
export function maxDay(a: string, b: string): string {
  return a >= b ? a : b;
}

/** SQL: the analytics day (a date) of the timestamptz expression `expr`. */
export const daySql = (expr: string): string => `((${expr}) at time zone '${ANALYTICS_TIME_ZONE}')::date`;
