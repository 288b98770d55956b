import { describe, expect, it } from 'vitest';
import { COUNTRY_TIME_ZONES } from '../../core/domain/country-time-zones';
import { instantOf, wallClockAt } from '../../core/domain/local-time';
import { inWindow, quietHoursEnd, zonesOf } from '../../core/domain/quiet-hours';
import { scheduleOf } from '../../core/domain/schedule';

const NIGHT = { start: '21:00', end: '08:00' };
const at = (iso: string) => new Date(iso);
const iso = (d: Date | undefined) => d?.toISOString();

describe('local time in a zone', () => {
  it('reads the clock of a zone, summer time included', () => {
    expect(wallClockAt(at('2026-07-10T20:30:15Z'), 'Europe/London')).toEqual({ year: 2026, month: 7, day: 10, hour: 21, minute: 30, second: 15 });
    expect(wallClockAt(at('2026-01-10T20:30:15Z'), 'Australia/Sydney')).toEqual({ year: 2026, month: 1, day: 11, hour: 7, minute: 30, second: 15 });
  });

  it('finds the instant a zone\'s clock shows a time, and a day past the month\'s end is the next month', () => {
    expect(iso(instantOf({ year: 2026, month: 7, day: 11, hour: 8, minute: 0 }, 'Europe/London'))).toBe('2026-07-11T07:00:00.000Z');
    expect(iso(instantOf({ year: 2026, month: 1, day: 32, hour: 8, minute: 0 }, 'America/New_York'))).toBe('2026-02-01T13:00:00.000Z');
  });

  it('takes a time the clock skips (spring forward) as far past the change as it is past the gap\'s start', () => {
    // London, 29 March 2026: 01:00 GMT becomes 02:00 BST, so 01:30 is never shown.
    expect(iso(instantOf({ year: 2026, month: 3, day: 29, hour: 1, minute: 30 }, 'Europe/London'))).toBe('2026-03-29T01:30:00.000Z');
  });

  it('takes the later of the two instants of a time the clock shows twice (fall back)', () => {
    // London, 25 October 2026: 02:00 BST becomes 01:00 GMT, so 01:30 is shown at 00:30Z and at 01:30Z.
    expect(iso(instantOf({ year: 2026, month: 10, day: 25, hour: 1, minute: 30 }, 'Europe/London'))).toBe('2026-10-25T01:30:00.000Z');
  });
});

describe('quiet hours window', () => {
  it.each([
    [NIGHT, '21:00', true],
    [NIGHT, '23:59', true],
    [NIGHT, '00:00', true],
    [NIGHT, '07:59', true],
    [NIGHT, '08:00', false],
    [NIGHT, '20:59', false],
    [{ start: '12:00', end: '14:00' }, '12:00', true],
    [{ start: '12:00', end: '14:00' }, '14:00', false],
    [{ start: '12:00', end: '14:00' }, '11:59', false],
  ])('%o holds %s: %s (start inclusive, end exclusive, across midnight when start is after end)', (window, time, expected) => {
    const [h, m] = time.split(':').map(Number);
    expect(inWindow(window, h! * 60 + m!)).toBe(expected);
  });
});

describe('quietHoursEnd — single-zone countries', () => {
  it('defers a message sent in a GB night to 08:00 the next morning', () => {
    expect(iso(quietHoursEnd(NIGHT, zonesOf('GB'), at('2026-01-10T22:00:00Z')))).toBe('2026-01-11T08:00:00.000Z');
  });

  it('defers a message sent after midnight to 08:00 the same morning', () => {
    expect(iso(quietHoursEnd(NIGHT, zonesOf('GB'), at('2026-01-11T03:17:42Z')))).toBe('2026-01-11T08:00:00.000Z');
  });

  it('does not defer a message sent in the day', () => {
    expect(quietHoursEnd(NIGHT, zonesOf('GB'), at('2026-01-10T12:00:00Z'))).toBeUndefined();
    expect(quietHoursEnd(NIGHT, zonesOf('GB'), at('2026-01-10T08:00:00Z'))).toBeUndefined();
  });

  it('reads the local time in summer time: 21:30 BST is 20:30Z, its night ends at 07:00Z', () => {
    expect(iso(quietHoursEnd(NIGHT, zonesOf('GB'), at('2026-07-10T20:30:00Z')))).toBe('2026-07-11T07:00:00.000Z');
    expect(quietHoursEnd(NIGHT, zonesOf('GB'), at('2026-07-10T19:59:00Z'))).toBeUndefined();
  });

  it('ends a night across the spring-forward change at 08:00 summer time', () => {
    expect(iso(quietHoursEnd(NIGHT, zonesOf('GB'), at('2026-03-28T22:00:00Z')))).toBe('2026-03-29T07:00:00.000Z');
  });

  it('ends a night across the fall-back change at 08:00 winter time, an hour longer', () => {
    expect(iso(quietHoursEnd(NIGHT, zonesOf('GB'), at('2026-10-24T21:00:00Z')))).toBe('2026-10-25T08:00:00.000Z');
  });

  it('reads Germany (Berlin and Büsingen, the same clock) as one zone', () => {
    expect(iso(quietHoursEnd({ start: '12:00', end: '14:00' }, zonesOf('DE'), at('2026-01-10T11:30:00Z')))).toBe('2026-01-10T13:00:00.000Z');
  });
});

describe('quietHoursEnd — countries of several zones, read in all of them', () => {
  it('defers a US message until it is 08:00 in Hawaii when the night has begun in New York', () => {
    // 21:30 in New York, 16:30 in Honolulu: the window has begun in one zone, so it holds; it ends when it has ended in every zone.
    const end = quietHoursEnd(NIGHT, zonesOf('US'), at('2026-01-15T02:30:00Z'));
    expect(iso(end)).toBe('2026-01-15T18:00:00.000Z');
    expect(wallClockAt(end!, 'Pacific/Honolulu')).toMatchObject({ hour: 8, minute: 0 });
  });

  it('defers a US message at noon in New York (05:00 in Honolulu) until Honolulu\'s morning', () => {
    expect(iso(quietHoursEnd(NIGHT, zonesOf('US'), at('2026-01-15T17:00:00Z')))).toBe('2026-01-15T18:00:00.000Z');
  });

  it('does not defer a US message when no zone is in the window (13:00 in New York, 08:00 in Honolulu)', () => {
    expect(quietHoursEnd(NIGHT, zonesOf('US'), at('2026-01-15T18:00:00Z'))).toBeUndefined();
  });

  it('defers an Australian message sent at 21:30 in Sydney until 08:00 in Perth', () => {
    const end = quietHoursEnd(NIGHT, zonesOf('AU'), at('2026-01-15T10:30:00Z'));
    expect(iso(end)).toBe('2026-01-16T00:00:00.000Z');
    expect(wallClockAt(end!, 'Australia/Perth')).toMatchObject({ hour: 8, minute: 0 });
  });

  it('defers a Russian message until the window has ended from Kaliningrad to Kamchatka', () => {
    const end = quietHoursEnd(NIGHT, zonesOf('RU'), at('2026-01-15T12:00:00Z'));
    expect(wallClockAt(end!, 'Europe/Kaliningrad')).toMatchObject({ hour: 8, minute: 0 });
    for (const zone of zonesOf('RU')) expect(quietHoursEnd(NIGHT, [zone], end!), zone).toBeUndefined();
  });

  it('defers a Brazilian message to a time outside the window in every zone of Brazil', () => {
    const end = quietHoursEnd(NIGHT, zonesOf('BR'), at('2026-01-15T01:00:00Z'));
    expect(end).toBeDefined();
    for (const zone of zonesOf('BR')) expect(quietHoursEnd(NIGHT, [zone], end!), zone).toBeUndefined();
  });

  it('when the zones\' windows cover the whole day, defers to the end of the window in the zone where it ends last', () => {
    // 01:00-23:00 over New York to Honolulu leaves no hour outside every window: the end in Honolulu (23:00 HST) is 09:00Z.
    expect(iso(quietHoursEnd({ start: '01:00', end: '23:00' }, zonesOf('US'), at('2026-01-15T12:00:00Z')))).toBe('2026-01-16T09:00:00.000Z');
  });

  it('a number whose country is unknown has no local time: it is not deferred', () => {
    expect(zonesOf(undefined)).toEqual([]);
    expect(quietHoursEnd(NIGHT, zonesOf(undefined), at('2026-01-15T02:30:00Z'))).toBeUndefined();
  });
});

describe('country time zones (generated from the tz database)', () => {
  it('names only zones Node\'s ICU takes (its list has the older names of some, e.g. Asia/Calcutta, and takes both)', () => {
    const refused = Object.values(COUNTRY_TIME_ZONES)
      .flat()
      .filter((timeZone) => {
        try {
          new Intl.DateTimeFormat('en-US', { timeZone });
          return false;
        } catch {
          return true;
        }
      });
    expect(refused).toEqual([]);
    expect(Object.keys(COUNTRY_TIME_ZONES).length).toBeGreaterThan(240);
  });

  it('gives one zone to single-zone countries and every zone to the others', () => {
    expect(COUNTRY_TIME_ZONES.GB).toEqual(['Europe/London']);
    expect(COUNTRY_TIME_ZONES.US).toEqual(expect.arrayContaining(['America/New_York', 'America/Chicago', 'America/Denver', 'America/Los_Angeles', 'America/Anchorage', 'Pacific/Honolulu']));
    expect(COUNTRY_TIME_ZONES.CA).toEqual(expect.arrayContaining(['America/St_Johns', 'America/Toronto', 'America/Vancouver']));
  });
});

describe('scheduleOf', () => {
  const NOW = at('2026-01-10T22:00:00Z');

  it('sends a message without sendAt at once, outside quiet hours or without them', () => {
    expect(scheduleOf({ type: 'promotional', country: 'GB' }, NIGHT, at('2026-01-10T12:00:00Z'))).toBeUndefined();
    expect(scheduleOf({ type: 'promotional', country: 'GB' }, undefined, NOW)).toBeUndefined();
  });

  it('schedules a message with sendAt for that time', () => {
    expect(scheduleOf({ type: 'transactional', country: 'GB', sendAt: '2026-01-11T09:30:00.000Z' }, NIGHT, NOW)).toEqual({ sendAt: '2026-01-11T09:30:00.000Z' });
  });

  it('defers a promotional message in its destination\'s quiet hours to their end, reason quiet_hours', () => {
    expect(scheduleOf({ type: 'promotional', country: 'GB' }, NIGHT, NOW)).toEqual({ sendAt: '2026-01-11T08:00:00.000Z', reason: 'quiet_hours' });
  });

  it('never defers a transactional message', () => {
    expect(scheduleOf({ type: 'transactional', country: 'GB' }, NIGHT, NOW)).toBeUndefined();
  });

  it('defers a promotional message whose sendAt falls in quiet hours to their end', () => {
    expect(scheduleOf({ type: 'promotional', country: 'GB', sendAt: '2026-01-11T06:00:00.000Z' }, NIGHT, at('2026-01-10T12:00:00Z'))).toEqual({ sendAt: '2026-01-11T08:00:00.000Z', reason: 'quiet_hours' });
  });

  it('keeps the sendAt of a promotional message outside quiet hours, even when now is inside them', () => {
    expect(scheduleOf({ type: 'promotional', country: 'GB', sendAt: '2026-01-11T10:00:00.000Z' }, NIGHT, NOW)).toEqual({ sendAt: '2026-01-11T10:00:00.000Z' });
  });
});
