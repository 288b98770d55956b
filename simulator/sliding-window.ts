/**
 * The most events in any sliding window of time: what a carrier's TPS limit is judged by
 * ("never more than tps submit_sm in any second"), whichever second one looks at.
 *
 * Two events share a window of `windowMs` when they are less than `windowMs` apart, as the
 * simulator's own throttle counts them.
 *
 * @example
 * maxInAnyWindow([0, 10, 999, 1000, 1500], 1000); // 3: 0, 10 and 999 (or 10, 999, 1000 …)
 */
export function maxInAnyWindow(times: readonly number[], windowMs: number): number {
  if (!(windowMs > 0)) throw new RangeError(`maxInAnyWindow: windowMs must be > 0, got ${windowMs}`);
  const sorted = [...times].sort((a, b) => a - b);
  let most = 0;
  let first = 0;
  for (let last = 0; last < sorted.length; last++) {
    while (sorted[last]! - sorted[first]! >= windowMs) first++;
    most = Math.max(most, last - first + 1);
  }
  return most;
}
