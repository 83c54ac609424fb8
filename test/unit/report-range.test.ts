import { expect } from 'chai';
import { parseReportRange } from '../../store/report-range.js';

const errorOf = (input: Parameters<typeof parseReportRange>[0]) => {
  const parsed = parseReportRange(input);
  return parsed.ok ? undefined : parsed.error;
};

describe('report range parsing (shared by GET /reports and npm run report)', () => {
  it('a date is midnight UTC; a time keeps its offset; reopenedWithinDays defaults to 7', () => {
    const parsed = parseReportRange({ from: '2026-11-01', to: '2026-11-02T08:30:00+02:00' });
    expect(parsed.ok).to.equal(true);
    if (!parsed.ok) return;
    expect(parsed.range.from.toISOString()).to.equal('2026-11-01T00:00:00.000Z');
    expect(parsed.range.to.toISOString()).to.equal('2026-11-02T06:30:00.000Z');
    expect(parsed.range.reopenedWithinDays).to.equal(7);
    const withDays = parseReportRange({ from: '2026-11-01T00:00Z', to: '2026-11-01T00:00:00.5Z', reopenedWithinDays: '90' });
    expect(withDays.ok && withDays.range.reopenedWithinDays).to.equal(90);
  });

  it('each bad input is refused with a reason that names its parameter', () => {
    expect(errorOf({ to: '2026-11-02' })).to.match(/^from is required/);
    expect(errorOf({ from: '2026-11-01' })).to.match(/^to is required/);
    expect(errorOf({ from: 'yesterday', to: '2026-11-02' })).to.match(/^from is not a date/);
    expect(errorOf({ from: '2026-02-30', to: '2026-03-02' })).to.match(/^from is not a date/);
    expect(errorOf({ from: '2026-11-01T08:00:00', to: '2026-11-02' }), 'a time without an offset').to.match(/^from is not/);
    expect(errorOf({ from: '2026-11-01T25:00Z', to: '2026-11-02' })).to.match(/^from is not/);
    expect(errorOf({ from: ['2026-11-01', '2026-11-02'], to: '2026-11-03' })).to.match(/^from must be given once/);
    expect(errorOf({ from: '2026-11-02', to: '2026-11-02' })).to.match(/^to must be after from/);
    expect(errorOf({ from: '2026-11-03', to: '2026-11-02' })).to.match(/^to must be after from/);
    expect(errorOf({ from: '2026-01-01', to: '2027-02-05T00:00:00.001Z' })).to.match(/^to is more than 400 days after from/);
    expect(errorOf({ from: '2026-01-01', to: '2027-02-05T00:00:00Z' })).to.equal(undefined);
    for (const days of ['0', '91', '1.5', 'seven', '', '-1']) {
      expect(errorOf({ from: '2026-11-01', to: '2026-11-02', reopenedWithinDays: days }), days).to.match(/^reopenedWithinDays must be a whole number of days from 1 to 90/);
    }
  });
});
