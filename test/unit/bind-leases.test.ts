/**
 * Bind leases without a table: the TPS shares of the slots, and one slot's lease life (taken
 * when free, renewed, lost when another task holds it or renewals fail until the deadline,
 * released) over the in-process store with a fake clock.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { leaseTiming, tpsShare, type LeaseStore } from '../../core/domain/bind-leases';
import { InProcessLeases } from '../../worker/smpp/in-process-leases';
import { SlidingWindowLimiter } from '../../worker/smpp/rate-limiter';
import { SlotLease } from '../../worker/smpp/slot-lease';
import { maxInAnyWindow } from '../support/windows';

describe('tpsShare', () => {
  it.each([
    [40, 2, [20, 20]],
    [10, 3, [4, 3, 3]],
    [5, 8, [1, 1, 1, 1, 1, 0, 0, 0]],
    [10.5, 2, [5.5, 5]],
    [0.5, 1, [0.5]],
  ])('splits tps %s over %s binds as %j, adding up to tps exactly', (tps, binds, shares) => {
    const got = Array.from({ length: binds }, (_, slot) => tpsShare(tps, binds, slot));
    expect(got).toEqual(shares);
    expect(got.reduce((a, b) => a + b, 0)).toBe(tps);
  });
});

describe('leaseTiming', () => {
  it('renews three times per TTL and fences a third of the TTL (at most 5 s) before the expiry', () => {
    expect(leaseTiming()).toEqual({ ttlMs: 15_000, renewMs: 5000, acquireEveryMs: 1000, skewMs: 1000, fenceMarginMs: 5000 });
    expect(leaseTiming(6000).fenceMarginMs).toBe(2000);
    expect(() => leaseTiming(1000)).toThrow(/at least 3000/);
  });
});

describe('SlotLease', () => {
  beforeEach(() => {
    vi.useFakeTimers({ now: 1_000_000 });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  const timing = leaseTiming(15_000);
  const lease = (store: LeaseStore, owner: string) => new SlotLease({ store, carrierId: 'c', slot: 0, owner, timing, now: () => Date.now() });

  it('is taken by one task only; the other takes it within a poll once it is released', async () => {
    // Prepare
    const store = new InProcessLeases(() => Date.now());
    const a = lease(store, 'a');
    const b = lease(store, 'b');
    const stop = new AbortController();
    expect(await a.acquire(stop.signal)).toMatchObject({ token: 1, takeover: false });
    // Act
    let bGot: unknown;
    void b.acquire(stop.signal).then((got) => (bGot = got));
    await vi.advanceTimersByTimeAsync(5000);
    expect(bGot).toBeUndefined();
    await a.release();
    await vi.advanceTimersByTimeAsync(1500);
    // Assess
    expect(bGot).toEqual({ token: 2, previousOwner: undefined, takeover: false });
    stop.abort();
  });

  it('keeps a renewed lease; a crashed holder’s lease is taken over only after expiry plus the skew allowance', async () => {
    // Prepare: a renews for 30 s, then stops renewing (crashes).
    const store = new InProcessLeases(() => Date.now());
    const a = lease(store, 'a');
    const b = lease(store, 'b');
    const stop = new AbortController();
    await a.acquire(stop.signal);
    const tenure = new AbortController();
    const held = a.hold(tenure.signal);
    let bGot: { takeover: boolean; previousOwner: string | undefined } | undefined;
    void b.acquire(stop.signal).then((got) => (bGot = got));
    await vi.advanceTimersByTimeAsync(30_000);
    expect(bGot).toBeUndefined();
    // Act: the holder dies (its renewals stop) right after a renewal.
    tenure.abort();
    expect(await held).toBeUndefined();
    const died = Date.now();
    await vi.advanceTimersByTimeAsync(timing.ttlMs);
    expect(bGot).toBeUndefined();
    await vi.advanceTimersByTimeAsync(timing.skewMs + 2 * timing.acquireEveryMs);
    // Assess
    expect(bGot).toEqual({ token: 2, previousOwner: 'a', takeover: true });
    expect(Date.now() - died).toBeLessThanOrEqual(timing.ttlMs + timing.skewMs + 2 * timing.acquireEveryMs);
    stop.abort();
  });

  it('is let go at its deadline, a fence margin before its expiry, when every renewal fails', async () => {
    // Prepare: a store whose renewals hang (a partition from the table).
    const inner = new InProcessLeases(() => Date.now());
    const store: LeaseStore = { ...bind(inner), renew: () => new Promise<boolean>(() => undefined) };
    const a = lease(store, 'a');
    const acquiredAt = Date.now();
    await a.acquire(new AbortController().signal);
    // Act
    let lost: string | undefined;
    void a.hold(new AbortController().signal).then((reason) => (lost = reason));
    await vi.advanceTimersByTimeAsync(timing.ttlMs - timing.fenceMarginMs - 1);
    expect(lost).toBeUndefined();
    await vi.advanceTimersByTimeAsync(2);
    // Assess
    expect(lost).toBe('renewals_failed');
    expect(Date.now() - acquiredAt).toBeLessThan(timing.ttlMs - timing.skewMs);
    expect(a.held).toBe(false);
  });

  it('is lost at once when the store says another task holds it', async () => {
    const store = new InProcessLeases(() => Date.now());
    const a = lease(store, 'a');
    await a.acquire(new AbortController().signal);
    let lost: string | undefined;
    void a.hold(new AbortController().signal).then((reason) => (lost = reason));
    // Another task's token (as after a takeover the holder did not notice).
    await store.release('c', 0, 'a', 1);
    await store.acquire('c', 0, 'intruder', timing.ttlMs, 0);
    await vi.advanceTimersByTimeAsync(timing.renewMs + 1);
    expect(lost).toBe('taken');
  });
});

describe('SlidingWindowLimiter.setRate', () => {
  beforeEach(() => {
    vi.useFakeTimers({ now: 1_000_000 });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('holds a lowered rate at once and admits a raised one only as far as the window has room', async () => {
    // Prepare: 20 per second for a second.
    const limiter = new SlidingWindowLimiter(20, { marginMs: 0, now: () => Date.now() });
    const grants: number[] = [];
    const take = (n: number) => Array.from({ length: n }, () => limiter.acquire().then(() => void grants.push(Date.now())));
    void Promise.all(take(20));
    await vi.advanceTimersByTimeAsync(1000);
    // Act: a second slot's share joins (40), later it leaves again (20).
    limiter.setRate(40);
    void Promise.all(take(80));
    await vi.advanceTimersByTimeAsync(1000);
    limiter.setRate(20);
    await vi.advanceTimersByTimeAsync(3000);
    // Assess
    expect(maxInAnyWindow(grants, 1000)).toBeLessThanOrEqual(40);
    expect(maxInAnyWindow(grants.filter((t) => t >= 1_000_000 + 3000), 1000)).toBeLessThanOrEqual(20);
    expect(() => limiter.setRate(0)).toThrow(RangeError);
    limiter.close();
  });
});

function bind(store: InProcessLeases): LeaseStore {
  return {
    peek: store.peek.bind(store),
    acquire: store.acquire.bind(store),
    renew: store.renew.bind(store),
    release: store.release.bind(store),
    list: store.list.bind(store),
  };
}
