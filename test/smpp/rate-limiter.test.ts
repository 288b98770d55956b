/**
 * SlidingWindowLimiter with fake timers: the window is exact, waiters are served in order,
 * slowDown halves the rate and recovers, close() rejects waiters.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { LimiterClosedError, SlidingWindowLimiter } from '../../worker/smpp/rate-limiter';
import { maxInAnyWindow } from '../support/windows';

beforeEach(() => {
  vi.useFakeTimers({ now: 1_000_000 });
});
afterEach(() => {
  vi.useRealTimers();
});

/** A limiter on the fake clock, and the time of every grant. */
function track(limiter: SlidingWindowLimiter, count: number, size = 1): { grants: number[]; done: Promise<void> } {
  const grants: number[] = [];
  const all: Promise<void>[] = [];
  for (let i = 0; i < count; i++) all.push(limiter.acquire(size).then(() => void grants.push(Date.now())));
  return { grants, done: Promise.all(all).then(() => undefined) };
}

describe('SlidingWindowLimiter', () => {
  it('spaces grants evenly, one every window/N, so no burst reaches the SMSC', async () => {
    // Prepare
    const limiter = new SlidingWindowLimiter(5, { marginMs: 20, now: () => Date.now() });
    // Act
    const { grants, done } = track(limiter, 12);
    await vi.advanceTimersByTimeAsync(3000);
    await done;
    // Assess
    const t0 = 1_000_000;
    expect(grants.map((t) => t - t0)).toEqual(Array.from({ length: 12 }, (_, i) => i * 204));
    expect(maxInAnyWindow(grants, 1020)).toBe(5);
  });

  it('never lets N+1 into any window when acquisitions trickle in at random times', async () => {
    const limiter = new SlidingWindowLimiter(10, { marginMs: 0, now: () => Date.now() });
    const grants: number[] = [];
    const pending: Promise<void>[] = [];
    let seed = 7;
    for (let i = 0; i < 80; i++) {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      await vi.advanceTimersByTimeAsync(seed % 150);
      pending.push(limiter.acquire().then(() => void grants.push(Date.now())));
    }
    await vi.advanceTimersByTimeAsync(20_000);
    await Promise.all(pending);
    expect(grants).toHaveLength(80);
    expect(maxInAnyWindow(grants, 1000)).toBeLessThanOrEqual(10);
  });

  it('never lets N+1 into any real window when a timer fires late (an event-loop stall) by less than one spacing', async () => {
    // Prepare: 50 per second with the carrier connection's 15 ms margin (spacing 20.3 ms). The
    // clock the limiter reads jumps 18 ms ahead once, as when the event loop stalls: the timer due
    // then fires 18 ms late, and the pacing catches up on that lateness.
    let stall = 0;
    const now = () => Date.now() + stall;
    const limiter = new SlidingWindowLimiter(50, { marginMs: 15, now });
    const grants: number[] = [];
    const pending = Array.from({ length: 150 }, () => limiter.acquire().then(() => void grants.push(now())));
    // Act: the stall once the window is full (steady state)
    await vi.advanceTimersByTimeAsync(1500);
    stall = 18;
    await vi.advanceTimersByTimeAsync(5000);
    await Promise.all(pending);
    // Assess: counted at the times the grants were really made (as the SMSC counts them)
    expect(grants).toHaveLength(150);
    expect(maxInAnyWindow(grants, 1000)).toBeLessThanOrEqual(50);
  });

  it('serves waiters first come, first served, even when a later one asks for fewer slots', async () => {
    const limiter = new SlidingWindowLimiter(3, { marginMs: 0, now: () => Date.now() });
    const order: string[] = [];
    const first = limiter.acquire(2);
    await vi.advanceTimersByTimeAsync(400);
    await first;
    const big = limiter.acquire(3).then(() => order.push('big'));
    const small = limiter.acquire(1).then(() => order.push('small'));
    await vi.advanceTimersByTimeAsync(300);
    // A slot came free, but it belongs to `big` (first in line).
    expect(order).toEqual([]);
    expect(limiter.pending()).toBe(2);
    await vi.advanceTimersByTimeAsync(2000);
    await Promise.all([big, small]);
    expect(order).toEqual(['big', 'small']);
  });

  it('counts every segment of acquire(count)', async () => {
    const limiter = new SlidingWindowLimiter(4, { marginMs: 0, now: () => Date.now() });
    const { grants, done } = track(limiter, 3, 2);
    await vi.advanceTimersByTimeAsync(2000);
    await done;
    // Slots 250 ms apart: each caller resolves with its second slot.
    expect(grants.map((t) => t - 1_000_000)).toEqual([250, 750, 1250]);
  });

  it('slowDown halves the rate, holds it, then recovers gradually to the full rate', async () => {
    const limiter = new SlidingWindowLimiter(20, { marginMs: 0, now: () => Date.now() });
    expect(limiter.currentRate()).toBe(20);
    limiter.slowDown(0.5, 2000);
    expect(limiter.currentRate()).toBe(10);
    // A second signal from the same burst does not halve again.
    limiter.slowDown(0.5, 2000);
    expect(limiter.currentRate()).toBe(10);

    const { grants, done } = track(limiter, 30);
    await vi.advanceTimersByTimeAsync(1999);
    // 10 per second while held: at t=0 and t=1000.
    expect(grants).toHaveLength(20);
    expect(maxInAnyWindow(grants, 1000)).toBe(10);

    // Recovery: +2/s (a tenth of 20) after the hold, back to 20 five seconds later.
    await vi.advanceTimersByTimeAsync(1001 + 2500);
    expect(limiter.currentRate()).toBeCloseTo(17, 5);
    await vi.advanceTimersByTimeAsync(5000);
    expect(limiter.currentRate()).toBe(20);
    await done;
  });

  it('slows a rate of 1 per second by lengthening the window', async () => {
    const limiter = new SlidingWindowLimiter(1, { marginMs: 0, now: () => Date.now() });
    limiter.slowDown(0.5, 60_000);
    const { grants, done } = track(limiter, 3);
    await vi.advanceTimersByTimeAsync(4100);
    await done;
    expect(grants.map((t) => t - 1_000_000)).toEqual([0, 2000, 4000]);
  });

  it('spaces a rate below 1 per second', async () => {
    const limiter = new SlidingWindowLimiter(0.5, { marginMs: 0, now: () => Date.now() });
    const { grants, done } = track(limiter, 3);
    await vi.advanceTimersByTimeAsync(4100);
    await done;
    expect(grants.map((t) => t - 1_000_000)).toEqual([0, 2000, 4000]);
  });

  it('close() rejects waiters and later calls', async () => {
    const limiter = new SlidingWindowLimiter(1, { now: () => Date.now() });
    await limiter.acquire();
    const waiting = limiter.acquire();
    limiter.close();
    await expect(waiting).rejects.toBeInstanceOf(LimiterClosedError);
    await expect(limiter.acquire()).rejects.toBeInstanceOf(LimiterClosedError);
  });

  it('rejects bad arguments', async () => {
    expect(() => new SlidingWindowLimiter(0)).toThrow(RangeError);
    const limiter = new SlidingWindowLimiter(5);
    await expect(limiter.acquire(0)).rejects.toBeInstanceOf(RangeError);
    expect(() => limiter.slowDown(1.5, 10)).toThrow(RangeError);
    limiter.close();
  });
});
