/**
 * SMS-pumping limits (README#sms-pumping-limits): a tenant's messages per hour to one destination
 * country (`pumping.perCountryPerHour`) and to one number range (`perPrefixPerHour`, the
 * destination without its last 3 digits), counted in fixed windows of one UTC hour, one counter
 * item per (tenant, hour, country) and per (tenant, hour, prefix).
 *
 * A batch is counted per window, not per message: the messages of one window are taken together
 * in one conditional ADD, and when fewer fit, the first ones in batch order get the room left and
 * the rest are refused. The country windows are taken first, then the prefix windows for the
 * messages the country let through; a message then refused by its prefix gives its country count
 * back, so a count holds only messages that passed both windows.
 */
import type { PumpingConfig } from '../config/schema';

/** One window: a tenant's messages in one epoch hour to a country or to a prefix. */
export interface PumpingWindow {
  tenantId: string;
  epochHour: number;
  scope: { country: string } | { prefix: string };
}

/** The window counts (core/aws/pumping-counter.ts in the table). */
export interface PumpingCounter {
  /** Adds up to `wanted` to the window's count without taking it past `limit`; returns how many it added (0 to wanted). */
  take(window: PumpingWindow, wanted: number, limit: number): Promise<number>;
  /** Takes back `count` messages added before that were then refused elsewhere. */
  release(window: PumpingWindow, count: number): Promise<void>;
}

/** The destination of one message, as the checks before pumping left it. */
export interface PumpingDestination {
  to: string;
  country?: string;
}

/** A message over a limit: which window refused it, and its limit. */
export interface PumpingRefusal {
  window: 'country' | 'prefix';
  /** The country of the destination (its window's, for metrics), or NON_GEOGRAPHIC. */
  country: string;
  limit: number;
}

/** The country window of a number without a country (+800, +881, …): libphonenumber's region for them. */
export const NON_GEOGRAPHIC = '001';

const HOUR_SECONDS = 3600;

export function epochHourOf(now: Date): number {
  return Math.floor(now.getTime() / 1000 / HOUR_SECONDS);
}

/** Whole seconds until the current window ends (at least 1): the Retry-After of a refusal. */
export function secondsToHourEnd(now: Date): number {
  return Math.max(1, Math.ceil(((epochHourOf(now) + 1) * HOUR_SECONDS * 1000 - now.getTime()) / 1000));
}

/** The number range of a destination: the E.164 number without its last 3 digits. */
export function prefixOf(to: string): string {
  return to.slice(0, -3);
}

/** The hourly limit of a country: its own, else `default`; undefined when neither is set. */
export function countryLimit(pumping: PumpingConfig, country: string): number | undefined {
  return pumping.perCountryPerHour?.[country] ?? pumping.perCountryPerHour?.default;
}

/** A message (its index) to count in a window, with the window's limit. */
interface Entry {
  index: number;
  window: PumpingWindow;
  limit: number;
}

const windowId = (w: PumpingWindow) => ('country' in w.scope ? `C#${w.scope.country}` : `P#${w.scope.prefix}`);

/** Takes each window once for all its messages; returns the refused indices with their limits, and the counted ones by window. */
async function takeWindows(counter: PumpingCounter, entries: Entry[]): Promise<{ refused: Map<number, number>; granted: Map<string, { window: PumpingWindow; indices: number[] }> }> {
  const groups = new Map<string, { window: PumpingWindow; limit: number; indices: number[] }>();
  for (const e of entries) {
    const id = windowId(e.window);
    const group = groups.get(id) ?? { window: e.window, limit: e.limit, indices: [] };
    group.indices.push(e.index);
    groups.set(id, group);
  }
  const refused = new Map<number, number>();
  const granted = new Map<string, { window: PumpingWindow; indices: number[] }>();
  await Promise.all(
    [...groups].map(async ([id, g]) => {
      const taken = await counter.take(g.window, g.indices.length, g.limit);
      granted.set(id, { window: g.window, indices: g.indices.slice(0, taken) });
      for (const index of g.indices.slice(taken)) refused.set(index, g.limit);
    }),
  );
  return { refused, granted };
}

/**
 * Counts the messages of one request in their windows: for each, undefined when it is within the
 * limits (and counted), or the refusal. Only for a tenant with `pumping` set.
 */
export async function countPumping(counter: PumpingCounter, tenantId: string, pumping: PumpingConfig, destinations: PumpingDestination[], now: Date): Promise<(PumpingRefusal | undefined)[]> {
  const epochHour = epochHourOf(now);
  const outcomes: (PumpingRefusal | undefined)[] = destinations.map(() => undefined);
  const countryOf = (i: number) => destinations[i]!.country ?? NON_GEOGRAPHIC;
  const countryEntries = destinations.flatMap((_, index): Entry[] => {
    const limit = countryLimit(pumping, countryOf(index));
    return limit === undefined ? [] : [{ index, window: { tenantId, epochHour, scope: { country: countryOf(index) } }, limit }];
  });
  const byCountry = await takeWindows(counter, countryEntries);
  for (const [index, limit] of byCountry.refused) outcomes[index] = { window: 'country', country: countryOf(index), limit };

  const perPrefix = pumping.perPrefixPerHour;
  if (perPrefix === undefined) return outcomes;
  const prefixEntries = destinations.flatMap((d, index): Entry[] => (outcomes[index] ? [] : [{ index, window: { tenantId, epochHour, scope: { prefix: prefixOf(d.to) } }, limit: perPrefix }]));
  const byPrefix = await takeWindows(counter, prefixEntries);
  for (const [index, limit] of byPrefix.refused) outcomes[index] = { window: 'prefix', country: countryOf(index), limit };

  // A message its prefix refused was counted in its country's window: give those counts back.
  await Promise.all(
    [...byCountry.granted.values()].map(async ({ window, indices }) => {
      const back = indices.filter((i) => byPrefix.refused.has(i)).length;
      if (back > 0) await counter.release(window, back);
    }),
  );
  return outcomes;
}

/**
 * Gives back the counts of messages that countPumping let through (at `now`, the same hour) and
 * that a later step refused (the quota): the windows hold only the messages accepted, so a tenant
 * refused for its quota does not fill its pumping windows as well.
 */
export async function releasePumping(counter: PumpingCounter, tenantId: string, pumping: PumpingConfig, destinations: PumpingDestination[], now: Date): Promise<void> {
  const epochHour = epochHourOf(now);
  const counts = new Map<string, { window: PumpingWindow; count: number }>();
  const add = (window: PumpingWindow) => {
    const id = windowId(window);
    counts.set(id, { window, count: (counts.get(id)?.count ?? 0) + 1 });
  };
  for (const d of destinations) {
    const country = d.country ?? NON_GEOGRAPHIC;
    if (countryLimit(pumping, country) !== undefined) add({ tenantId, epochHour, scope: { country } });
    if (pumping.perPrefixPerHour !== undefined) add({ tenantId, epochHour, scope: { prefix: prefixOf(d.to) } });
  }
  await Promise.all([...counts.values()].map(({ window, count }) => counter.release(window, count)));
}
