import { DateTime } from 'luxon';

/**
 * Office hours as pure functions of `now` (workflow-safe: no clock, no I/O).
 *
 * The weekly schedule is read in the office's time zone, day by day, so daylight-saving
 * changes move the opening instants the way a person in that office expects ("09:00" stays
 * 09:00 local time). Closed dates remove that whole local day. Intervals that touch or
 * overlap (a lunch break that isn't one, or 20:00–24:00 followed by 00:00–06:00) are merged
 * into one open stretch, so `nextClosing` is when the office really closes.
 */

export interface OfficeHoursStatus {
  open: boolean;
  /** The next instant after `now` at which the office opens; null if none within the search horizon. */
  nextOpening: Date | null;
  /** The next instant after `now` at which the office closes; null if none within the search horizon. */
  nextClosing: Date | null;
}

/** How far ahead to look for an opening; a year plus a margin covers long closures. */
export const searchHorizonDays = 370;

const secondsPerDay = 24 * 60 * 60;

/** luxon numbers weekdays 1 = Monday … 7 = Sunday. */
const weekdayNumbers: Record<Weekday, number> = { mon: 1, tue: 2, wed: 3, thu: 4, fri: 5, sat: 6, sun: 7 };

/**
 * Seconds after local midnight for 'HH:mm' or 'HH:mm:ss'. '24:00' (or '24:00:00') means the
 * end of the day, so a schedule can say "open until midnight". Returns null when malformed.
 */
export function parseTimeOfDay(time: string): number | null {
  const match = /^(\d{2}):(\d{2})(?::(\d{2}))?$/.exec(time);
  if (!match) return null;
  const [hours, minutes, seconds] = [Number(match[1]), Number(match[2]), Number(match[3] ?? 0)];
  if (hours === 24 && minutes === 0 && seconds === 0) return secondsPerDay;
  if (hours > 23 || minutes > 59 || seconds > 59) return null;
  return hours * 3600 + minutes * 60 + seconds;
}

export function officeHoursAt(now: Date, hours: OfficeHours | undefined): OfficeHoursStatus {
  if (!hours) return { open: true, nextOpening: null, nextClosing: null };

  const nowMs = now.getTime();
  const today = DateTime.fromMillis(nowMs, { zone: hours.timeZone }).startOf('day');
  const stretches = openStretches(today, hours);

  for (let next = stretches.next(); !next.done; next = stretches.next()) {
    const stretch = next.value;
    if (stretch.end <= nowMs) continue;
    const nextClosing = stretch.endKnown ? new Date(stretch.end) : null;
    if (stretch.start <= nowMs) {
      const following = stretches.next();
      return { open: true, nextClosing, nextOpening: following.done ? null : new Date(following.value.start) };
    }
    return { open: false, nextOpening: new Date(stretch.start), nextClosing };
  }
  return { open: false, nextOpening: null, nextClosing: null };
}

interface OpenStretch {
  start: number;
  end: number;
  /** False for the last stretch found, which may go on past the search horizon (e.g. open 24/7). */
  endKnown: boolean;
}

/** Merged open stretches (epoch ms) in time order, from the local day `firstDay` on. */
function* openStretches(firstDay: DateTime, hours: OfficeHours): Generator<OpenStretch> {
  let current: { start: number; end: number } | null = null;
  for (const interval of openIntervals(firstDay, hours)) {
    if (current && interval.start <= current.end) {
      current.end = Math.max(current.end, interval.end);
      continue;
    }
    if (current) yield { ...current, endKnown: true };
    current = { ...interval };
  }
  if (current) yield { ...current, endKnown: false };
}

/** The weekly schedule's intervals, day by day in the office's zone, skipping closed dates. */
function* openIntervals(firstDay: DateTime, hours: OfficeHours): Generator<{ start: number; end: number }> {
  const closedDates = new Set(hours.closedDates);
  for (let offset = 0; offset <= searchHorizonDays; offset++) {
    const day = firstDay.plus({ days: offset }).startOf('day');
    if (closedDates.has(day.toISODate() ?? '')) continue;
    const intervals = hours.weekly
      .filter((slot) => slot.days.some((d) => weekdayNumbers[d] === day.weekday))
      .map((slot) => ({
        start: atTimeOfDay(day, parseTimeOfDay(slot.open) ?? 0).toMillis(),
        end: atTimeOfDay(day, parseTimeOfDay(slot.close) ?? 0).toMillis(),
      }))
      // A slot can collapse on a daylight-saving day (e.g. 02:00–03:00 when clocks skip that hour).
      .filter((interval) => interval.end > interval.start)
      .sort((a, b) => a.start - b.start);
    yield* intervals;
  }
}

/**
 * The instant of a local time of day. A local time that doesn't exist (skipped by a
 * daylight-saving change) is moved forward by luxon, as a wall clock would be.
 */
function atTimeOfDay(day: DateTime, seconds: number): DateTime {
  if (seconds >= secondsPerDay) return day.plus({ days: 1 }).startOf('day');
  return day.set({
    hour: Math.floor(seconds / 3600),
    minute: Math.floor((seconds % 3600) / 60),
    second: seconds % 60,
    millisecond: 0,
  });
}

/**
 * When the team is back, in the customer's words: "today at 9:00 AM GMT+1",
 * "morgen um 09:00 MEZ", "Monday, 9:00 AM GMT+1" (within a week), or with the date further
 * out ("Monday, January 13 at 9:00 AM GMT+1"). The time is shown in the office's time zone
 * with its abbreviation (or GMT offset) as the customer's locale names it, because we don't
 * know the customer's own zone. Unknown or malformed languages fall back to English.
 */
export function describeOpening(at: Date, timeZone: string, language: string, now: Date): string {
  const locale = usableLocale(language);
  const opening = DateTime.fromJSDate(at, { zone: timeZone }).setLocale(locale);
  const base = DateTime.fromJSDate(now, { zone: timeZone }).setLocale(locale);
  const daysAhead = Math.round(opening.startOf('day').diff(base.startOf('day'), 'days').days);
  const time = opening.toLocaleString({ hour: 'numeric', minute: '2-digit', timeZoneName: 'short' });

  if (daysAhead <= 1) {
    // "today" / "tomorrow" from Intl.RelativeTimeFormat, joined to the time the way the
    // locale joins a date and a time ("at", "um", "à", ", ").
    const day = opening.toRelativeCalendar({ base, unit: 'days' }) ?? '';
    return `${day}${dateTimeConnector(opening)}${time}`;
  }
  if (daysAhead < 7) {
    return opening.toLocaleString({ weekday: 'long', hour: 'numeric', minute: '2-digit', timeZoneName: 'short' });
  }
  return opening.toLocaleString({
    weekday: 'long', month: 'long', day: 'numeric', hour: 'numeric', minute: '2-digit', timeZoneName: 'short',
  });
}

function usableLocale(language: string): string {
  try {
    return Intl.getCanonicalLocales(language)[0] ?? 'en';
  } catch {
    return 'en';
  }
}

/** The literal a locale puts between a full date and a time, e.g. " at " (en), " um " (de). */
function dateTimeConnector(dt: DateTime): string {
  const parts = dt.toLocaleParts({ dateStyle: 'full', timeStyle: 'short' } as Intl.DateTimeFormatOptions);
  const firstTimePart = parts.findIndex((p) => p.type === 'hour');
  const before = parts[firstTimePart - 1];
  return firstTimePart > 0 && before?.type === 'literal' ? before.value : ' ';
}

// ---- the settings file's `officeHours` section, as the workflow reads it ---------------------
// Its zod schema (settings/schema.ts) checks the file at start-up and is held to these types.

export const weekdays = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const;
export type Weekday = (typeof weekdays)[number];

export interface WeeklySlot {
  days: Weekday[];
  /** '09:00' or '09:00:30'. */
  open: string;
  /** '18:00', '18:00:30' or '24:00'; later than `open` on the same day. */
  close: string;
}

export const afterHoursModes = ['handoff', 'ai-until-open'] as const;
export interface OfficeHours {
  /** An IANA time zone. */
  timeZone: string;
  weekly: WeeklySlot[];
  /** Dates like 2025-12-24, in the time zone. */
  closedDates: string[];
  /**
   * handoff: a handoff after hours still goes to the queue, and the customer is told when the
   * team is back. ai-until-open: the AI keeps answering and hands off at opening time.
   */
  afterHours: (typeof afterHoursModes)[number];
}
