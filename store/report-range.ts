/**
 * The time range of a report, parsed and checked in one place for the HTTP route
 * (`GET /reports`, `/reports/dashboard`) and the CLI (`npm run report`): both take the same
 * strings and answer with the same reasons. Every message names its parameter.
 */
import { z } from 'zod';

export interface ReportRange {
  /** Inclusive: sessions that started at or after it. */
  from: Date;
  /** Exclusive: a session that started exactly at `to` belongs to the next range. */
  to: Date;
  /** A session counts as reopened when its next session started at most this many days after it ended. */
  reopenedWithinDays: number;
}

export interface ReportRangeInput {
  from?: unknown;
  to?: unknown;
  reopenedWithinDays?: unknown;
}

export type ReportRangeResult = { ok: true; range: ReportRange } | { ok: false; error: string };

export const maxRangeDays = 400;
export const defaultReopenedWithinDays = 7;
export const maxReopenedWithinDays = 90;
export const dayMs = 86_400_000;

const datePattern = /^(\d{4})-(\d{2})-(\d{2})$/;
// A time needs its offset: a bare local time would mean whatever the server's zone is.
const timePattern = /^(\d{4})-(\d{2})-(\d{2})T\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?(Z|[+-]\d{2}:\d{2})$/i;

function instant(name: 'from' | 'to') {
  const expected = `a date (2026-11-01, midnight UTC) or an ISO time with an offset (2026-11-01T08:00:00Z)`;
  return z
    .string({ error: (issue) => (issue.input === undefined ? `${name} is required: ${expected}` : `${name} must be given once, as ${expected}`) })
    .transform((value, ctx) => {
      const text = value.trim();
      const parts = datePattern.exec(text) ?? timePattern.exec(text);
      const at = parts ? new Date(datePattern.test(text) ? `${text}T00:00:00Z` : text) : undefined;
      if (!parts || !at || Number.isNaN(at.getTime()) || !isCalendarDate(Number(parts[1]), Number(parts[2]), Number(parts[3]))) {
        ctx.addIssue({ code: 'custom', message: `${name} is not ${expected}: ${JSON.stringify(value.slice(0, 40))}` });
        return z.NEVER;
      }
      return at;
    });
}

const reopenedWithinDays = z
  .string({ error: () => `reopenedWithinDays must be given once, as a whole number of days from 1 to ${maxReopenedWithinDays}` })
  .optional()
  .transform((value, ctx) => {
    if (value === undefined) return defaultReopenedWithinDays;
    const days = /^\s*\d{1,3}\s*$/.test(value) ? Number(value) : NaN;
    if (!(days >= 1 && days <= maxReopenedWithinDays)) {
      ctx.addIssue({ code: 'custom', message: `reopenedWithinDays must be a whole number of days from 1 to ${maxReopenedWithinDays}` });
      return z.NEVER;
    }
    return days;
  });

const ReportRangeSchema = z
  .object({ from: instant('from'), to: instant('to'), reopenedWithinDays })
  .superRefine((range, ctx) => {
    if (range.to.getTime() <= range.from.getTime()) {
      ctx.addIssue({ code: 'custom', path: ['to'], message: 'to must be after from (the range is [from, to))' });
    } else if (range.to.getTime() - range.from.getTime() > maxRangeDays * dayMs) {
      ctx.addIssue({ code: 'custom', path: ['to'], message: `to is more than ${maxRangeDays} days after from: ask for a shorter range` });
    }
  });

/** Strings as they come from a query string or the command line; the first problem found is the answer. */
export function parseReportRange(input: ReportRangeInput): ReportRangeResult {
  const parsed = ReportRangeSchema.safeParse({ from: input.from, to: input.to, reopenedWithinDays: input.reopenedWithinDays });
  if (parsed.success) return { ok: true, range: parsed.data };
  return { ok: false, error: parsed.error.issues[0]?.message ?? 'invalid range' };
}

function isCalendarDate(year: number, month: number, day: number): boolean {
  // Date rolls 2026-02-30 over to March 2; a date that does not exist is a typo, not a day.
  const date = new Date(Date.UTC(year, month - 1, day));
  return date.getUTCFullYear() === year && date.getUTCMonth() === month - 1 && date.getUTCDate() === day;
}
