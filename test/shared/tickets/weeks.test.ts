import { describe, expect, it } from 'vitest';
import {
  addWeeks,
  lastCompleteWeek,
  parseWeek,
  weekOf,
  weekRange,
  weeksBetween,
} from '../../../shared/tickets/weeks.js';

describe('ISO weeks', () => {
  it.each([
    ['a Monday is its own week', '2026-11-23T00:00:00Z', '2026-11-23'],
    ['a Sunday late at night belongs to the Monday before', '2026-11-29T23:59:59Z', '2026-11-23'],
    ['a Wednesday', '2026-11-25T12:00:00Z', '2026-11-23'],
    ['across a year end', '2027-01-01T08:00:00Z', '2026-12-28'],
    ['an offset is read as the instant it names', '2026-11-30T01:00:00+02:00', '2026-11-23'],
  ])('%s', (_name, instant, week) => {
    expect(weekOf(instant)).toBe(week);
  });

  it.each([
    ['2026-11-24', /not a Monday/],
    ['2026-13-01', /YYYY-MM-DD/],
    ['yesterday', /YYYY-MM-DD/],
  ])('refuses %s as a week', (week, error) => {
    expect(() => parseWeek(week)).toThrow(error);
  });

  it('ranges, steps and spans weeks', () => {
    expect(weekRange('2026-11-23')).toEqual({
      fromIso: '2026-11-23T00:00:00.000Z',
      toIso: '2026-11-30T00:00:00.000Z',
    });
    expect(addWeeks('2026-11-23', -26)).toBe('2026-05-25');
    expect(weeksBetween('2026-11-02', '2026-11-23')).toEqual([
      '2026-11-02',
      '2026-11-09',
      '2026-11-16',
      '2026-11-23',
    ]);
    expect(lastCompleteWeek(new Date('2026-11-30T06:00:00Z'))).toBe('2026-11-23');
  });
});
