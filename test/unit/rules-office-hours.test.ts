import { expect } from 'chai';
import { describeOpening, officeHoursAt, parseTimeOfDay } from '../../workflow-safe/office-hours.js';
import type { OfficeHours } from '../../settings/schema.js';

const berlin: OfficeHours = {
  timeZone: 'Europe/Berlin',
  weekly: [
    { days: ['mon', 'tue', 'wed', 'thu', 'fri'], open: '09:00', close: '18:00' },
    { days: ['sat'], open: '10:00', close: '14:00:30' },
  ],
  closedDates: ['2025-12-24', '2025-12-25'],
  afterHours: 'handoff',
};

const at = (iso: string) => new Date(iso);
const iso = (d: Date | null) => d?.toISOString() ?? null;

describe('office hours', () => {
  it('no office hours = always open', () => {
    expect(officeHoursAt(at('2025-01-01T03:00:00Z'), undefined)).to.deep.equal({ open: true, nextOpening: null, nextClosing: null });
  });

  it('is open inside the weekly hours, with the closing time and the next opening', () => {
    // Friday 2025-01-10, 12:00 in Berlin (CET, UTC+1).
    const status = officeHoursAt(at('2025-01-10T11:00:00Z'), berlin);
    expect(status.open).to.equal(true);
    expect(iso(status.nextClosing)).to.equal('2025-01-10T17:00:00.000Z');
    expect(iso(status.nextOpening)).to.equal('2025-01-11T09:00:00.000Z'); // Saturday 10:00 CET
  });

  it('is closed on Sunday and opens Monday 09:00 local time', () => {
    const status = officeHoursAt(at('2025-01-12T12:00:00Z'), berlin);
    expect(status.open).to.equal(false);
    expect(iso(status.nextOpening)).to.equal('2025-01-13T08:00:00.000Z');
    expect(iso(status.nextClosing)).to.equal('2025-01-13T17:00:00.000Z');
  });

  it('follows the spring daylight-saving change in Berlin (UTC+1 → UTC+2)', () => {
    // Saturday 2025-03-29 after closing; clocks go forward on Sunday 30 March.
    const status = officeHoursAt(at('2025-03-29T15:00:00Z'), berlin);
    expect(status.open).to.equal(false);
    expect(iso(status.nextOpening)).to.equal('2025-03-31T07:00:00.000Z'); // Monday 09:00 CEST
    // Friday before the change: 09:00 CET.
    expect(iso(officeHoursAt(at('2025-03-28T05:00:00Z'), berlin).nextOpening)).to.equal('2025-03-28T08:00:00.000Z');
  });

  it('follows the autumn daylight-saving change in Berlin (UTC+2 → UTC+1)', () => {
    // Friday 2025-10-24 17:30 CEST (15:30Z): open until 18:00 CEST.
    const friday = officeHoursAt(at('2025-10-24T15:30:00Z'), berlin);
    expect(friday.open).to.equal(true);
    expect(iso(friday.nextClosing)).to.equal('2025-10-24T16:00:00.000Z');
    // Sunday 26 October, clocks went back: Monday opens at 09:00 CET = 08:00Z.
    expect(iso(officeHoursAt(at('2025-10-26T12:00:00Z'), berlin).nextOpening)).to.equal('2025-10-27T08:00:00.000Z');
    // 08:59:59 CET Monday is still closed, 09:00 CET is open.
    expect(officeHoursAt(at('2025-10-27T07:59:59Z'), berlin).open).to.equal(false);
    expect(officeHoursAt(at('2025-10-27T08:00:00Z'), berlin).open).to.equal(true);
  });

  it('skips closed dates to the next opening day', () => {
    // Tuesday 23 December after closing: 24th and 25th are closed, Friday 26th opens.
    const status = officeHoursAt(at('2025-12-23T18:00:00Z'), berlin);
    expect(status.open).to.equal(false);
    expect(iso(status.nextOpening)).to.equal('2025-12-26T08:00:00.000Z');
    // During a closed date's usual hours it is closed.
    expect(officeHoursAt(at('2025-12-24T10:00:00Z'), berlin).open).to.equal(false);
  });

  it('respects second-precision closing times', () => {
    // Saturday 2025-01-11, closes 14:00:30 CET = 13:00:30Z.
    const justBefore = officeHoursAt(at('2025-01-11T13:00:29Z'), berlin);
    expect(justBefore.open).to.equal(true);
    expect(iso(justBefore.nextClosing)).to.equal('2025-01-11T13:00:30.000Z');
    expect(officeHoursAt(at('2025-01-11T13:00:30Z'), berlin).open).to.equal(false);
  });

  it('merges touching slots into one open stretch, also across midnight', () => {
    const hours: OfficeHours = {
      timeZone: 'UTC',
      weekly: [
        { days: ['mon'], open: '09:00', close: '12:00' },
        { days: ['mon'], open: '12:00', close: '24:00' },
        { days: ['tue'], open: '00:00', close: '02:00' },
      ],
      closedDates: [],
      afterHours: 'ai-until-open',
    };
    const status = officeHoursAt(at('2025-01-06T10:00:00Z'), hours);
    expect(status.open).to.equal(true);
    expect(iso(status.nextClosing)).to.equal('2025-01-07T02:00:00.000Z');
    expect(iso(status.nextOpening)).to.equal('2025-01-13T09:00:00.000Z');
  });

  it('gives no next closing when open around the clock, and searches far ahead for an opening', () => {
    const always: OfficeHours = {
      timeZone: 'UTC',
      weekly: [{ days: ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'], open: '00:00', close: '24:00' }],
      closedDates: [],
      afterHours: 'handoff',
    };
    expect(officeHoursAt(at('2025-01-06T10:00:00Z'), always)).to.deep.equal({ open: true, nextOpening: null, nextClosing: null });

    const mondaysClosed = (weeks: number): OfficeHours => ({
      timeZone: 'UTC',
      weekly: [{ days: ['mon'], open: '09:00', close: '10:00' }],
      closedDates: Array.from({ length: weeks }, (_, week) => new Date(Date.UTC(2025, 0, 6 + 7 * week)).toISOString().slice(0, 10)),
      afterHours: 'handoff',
    });
    // The next 40 Mondays closed: the 41st opens, long after a simple "next week" search would stop.
    const longClosure = officeHoursAt(at('2025-01-06T10:00:00Z'), mondaysClosed(40));
    expect(longClosure.open).to.equal(false);
    expect(iso(longClosure.nextOpening)).to.equal('2025-10-13T09:00:00.000Z');
    // Closed beyond the ~370-day search horizon: no known opening.
    expect(officeHoursAt(at('2025-01-06T10:00:00Z'), mondaysClosed(60))).to.deep.equal({ open: false, nextOpening: null, nextClosing: null });
  });

  it('parses times of day', () => {
    expect(parseTimeOfDay('09:00')).to.equal(9 * 3600);
    expect(parseTimeOfDay('09:00:30')).to.equal(9 * 3600 + 30);
    expect(parseTimeOfDay('24:00')).to.equal(24 * 3600);
    expect(parseTimeOfDay('24:01')).to.equal(null);
    expect(parseTimeOfDay('9:00')).to.equal(null);
  });
});

describe('describeOpening', () => {
  const zone = 'Europe/Berlin';
  // Monday 2025-01-13 09:00 CET.
  const monday9 = at('2025-01-13T08:00:00Z');

  it('says "today at" on the same local day, in English and German', () => {
    const now = at('2025-01-13T06:00:00Z');
    expect(describeOpening(monday9, zone, 'en', now)).to.equal('today at 9:00 AM GMT+1');
    expect(describeOpening(monday9, zone, 'de', now)).to.equal('heute um 09:00 MEZ');
  });

  it('says "tomorrow" for the next local day, even shortly before midnight UTC', () => {
    const sundayLateBerlin = at('2025-01-12T22:30:00Z'); // already 23:30 Sunday in Berlin
    expect(describeOpening(monday9, zone, 'en', sundayLateBerlin)).to.equal('tomorrow at 9:00 AM GMT+1');
    expect(describeOpening(monday9, zone, 'de', sundayLateBerlin)).to.equal('morgen um 09:00 MEZ');
  });

  it('names the weekday within a week, and adds the date further out', () => {
    const friday = at('2025-01-10T18:00:00Z');
    expect(describeOpening(monday9, zone, 'en', friday)).to.equal('Monday, 9:00 AM GMT+1');
    expect(describeOpening(monday9, zone, 'de', friday)).to.equal('Montag, 09:00 MEZ');
    const weeksBefore = at('2024-12-30T12:00:00Z');
    expect(describeOpening(monday9, zone, 'en', weeksBefore)).to.equal('Monday, January 13 at 9:00 AM GMT+1');
    expect(describeOpening(monday9, zone, 'de', weeksBefore)).to.equal('Montag, 13. Januar um 09:00 MEZ');
  });

  it('shows summer time and falls back to English for an unusable language', () => {
    const summer = at('2025-07-14T07:00:00Z');
    expect(describeOpening(summer, zone, 'de', at('2025-07-14T05:00:00Z'))).to.equal('heute um 09:00 MESZ');
    expect(describeOpening(monday9, zone, 'not a language!', at('2025-01-13T06:00:00Z'))).to.equal('today at 9:00 AM GMT+1');
  });
});
