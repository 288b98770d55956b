/**
 * Quiet hours: a tenant's daily window ("21:00" to "08:00", in the destination's local time) in
 * which its promotional messages are not sent but deferred to the window's end. Pure, the clock
 * passed in.
 *
 * The local time is the destination's: its country comes from libphonenumber (which tells the
 * regions of a shared calling code apart: +1 is US, CA, JM, …), its zones from the tz database
 * (country-time-zones.ts). libphonenumber-js has no finer data (Java libphonenumber's time-zone
 * mapper, by area code, is not in it), so a country with several zones is read in all of them:
 * the most conservative reading. A message is in quiet hours when it is in any of the country's
 * zones, and is deferred to the first time when it is in none (README#quiet-hours).
 */
import { COUNTRY_TIME_ZONES } from './country-time-zones';
import { instantOf, wallClockAt } from './local-time';

/** "HH:MM" to "HH:MM", local time; start inclusive, end exclusive; a window may span midnight (start after end). */
export interface QuietHours {
  start: string;
  end: string;
}

/** A window is shorter than a day, and a day is at most 25 hours (the night a clock goes back): no deferral is longer. */
const MAX_DEFERRAL_MS = 25 * 3_600_000;

function minutesOf(time: string): number {
  const [h, m] = time.split(':').map(Number);
  return h! * 60 + m!;
}

/** Whether a time of day (minutes after midnight) is in the window. */
export function inWindow(window: QuietHours, minuteOfDay: number): boolean {
  const start = minutesOf(window.start);
  const end = minutesOf(window.end);
  return start < end ? minuteOfDay >= start && minuteOfDay < end : minuteOfDay >= start || minuteOfDay < end;
}

/** When the window that `instant` is in ends in `zone`; undefined when `instant` is not in it there. */
export function windowEndIn(window: QuietHours, zone: string, instant: Date): Date | undefined {
  const wall = wallClockAt(instant, zone);
  const minute = wall.hour * 60 + wall.minute;
  if (!inWindow(window, minute)) return undefined;
  const end = minutesOf(window.end);
  // Past the end today means the evening part of a window that spans midnight: it ends tomorrow.
  const day = wall.day + (minute >= end ? 1 : 0);
  return instantOf({ year: wall.year, month: wall.month, day, hour: Math.floor(end / 60), minute: end % 60 }, zone);
}

/** The zones a destination's local time is read in: every zone of its country, none when its country is unknown. */
export function zonesOf(country: string | undefined): readonly string[] {
  return country === undefined ? [] : (COUNTRY_TIME_ZONES[country] ?? []);
}

/**
 * When a message to a number in `zones`, due at `at`, leaves quiet hours: undefined when `at` is
 * in the window in none of them; else the first time after `at` at which it is in none (each
 * zone's window end, then again for a zone whose window began meanwhile). When the zones' windows
 * together leave no such time in the day (a long window over a country of many zones), the end
 * of the window in the zone where it ends last.
 *
 * @example quietHoursEnd({ start: '21:00', end: '08:00' }, ['Europe/London'], new Date('2026-01-10T22:00:00Z'))
 *   // → 2026-01-11T08:00:00.000Z
 */
export function quietHoursEnd(window: QuietHours, zones: readonly string[], at: Date): Date | undefined {
  let t = at;
  let first: Date | undefined;
  for (let round = 0; round <= zones.length; round++) {
    const ends = zones.flatMap((z) => windowEndIn(window, z, t) ?? []);
    if (ends.length === 0) return first === undefined ? undefined : t;
    const next = new Date(Math.max(...ends.map((e) => e.getTime())));
    first ??= next;
    // A window end that is not after t (a clock change inside the window): no later time clears.
    if (next.getTime() <= t.getTime() || next.getTime() - at.getTime() > MAX_DEFERRAL_MS) break;
    t = next;
  }
  return first;
}
