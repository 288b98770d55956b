/**
 * Wall-clock time in an IANA time zone, both ways: what a zone's clock shows at an instant, and
 * the instant its clock shows a given time. Intl.DateTimeFormat (Node's full ICU carries the tz
 * database), so no tz library and no offset table of our own to keep up to date.
 */

/** A zone's clock reading (month 1-12), to the second. */
export interface WallClock {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
}

const formatters = new Map<string, Intl.DateTimeFormat>();

/** One formatter per zone: building one is far dearer than using it. */
function formatterOf(zone: string): Intl.DateTimeFormat {
  let f = formatters.get(zone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', { timeZone: zone, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric', second: 'numeric' });
    formatters.set(zone, f);
  }
  return f;
}

/** What the clock of `zone` shows at `instant`. */
export function wallClockAt(instant: Date, zone: string): WallClock {
  const parts: Record<string, number> = {};
  for (const p of formatterOf(zone).formatToParts(instant)) if (p.type !== 'literal') parts[p.type] = Number(p.value);
  return { year: parts.year!, month: parts.month!, day: parts.day!, hour: parts.hour!, minute: parts.minute!, second: parts.second! };
}

/** The wall clock read as if it were UTC, in ms: the arithmetic form of a reading. */
function asUtc(w: Omit<WallClock, 'second'> & { second?: number }): number {
  return Date.UTC(w.year, w.month - 1, w.day, w.hour, w.minute, w.second ?? 0);
}

/** The zone's offset from UTC at `instant`, in ms (positive east of Greenwich). */
export function zoneOffsetMs(instant: Date, zone: string): number {
  return asUtc(wallClockAt(instant, zone)) - Math.floor(instant.getTime() / 1000) * 1000;
}

/**
 * The instant at which the clock of `zone` shows `wall` (to the minute; day overflow allowed:
 * day 32 is the first of the next month). A time shown twice (the hour a clock goes back) gives
 * the later instant; a time never shown (the hour a clock skips) gives the instant as far past
 * the change as the time is past its start (02:30 on a spring-forward night is 03:30). Both are
 * the later choice: for the end of quiet hours, never too early.
 */
export function instantOf(wall: Omit<WallClock, 'second'>, zone: string): Date {
  const target = asUtc(wall);
  // The offsets a day either side: a change of offset in between is a DST change (or a zone's reform).
  const offsets = [...new Set([zoneOffsetMs(new Date(target - 86_400_000), zone), zoneOffsetMs(new Date(target + 86_400_000), zone)])];
  const shown = offsets.map((o) => target - o).filter((t) => asUtc(wallClockAt(new Date(t), zone)) === target);
  if (shown.length > 0) return new Date(Math.max(...shown));
  // Never shown: the offset before the change puts it past the change by as much as it is past the gap's start.
  return new Date(target - offsets[0]!);
}
