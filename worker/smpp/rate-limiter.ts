/**
 * A sliding-window rate limiter for submit_sm segments: never more than N acquisitions in
 * ANY window of `1000 + marginMs` milliseconds. A token bucket allows a burst of N right
 * after a quiet second plus the refill during it, which an SMSC counting a strict sliding
 * window answers with ESME_RTHROTTLED; keeping the last N timestamps and granting the next
 * slot at `oldest + window` cannot.
 *
 * Waiters are served first come, first served. After throttling, {@link slowDown} lowers the
 * effective rate (AIMD: multiplicative decrease at most once per window, held for a while,
 * then additive increase of a tenth of the configured rate per second).
 *
 * @example
 * const limiter = new SlidingWindowLimiter(carrier.tps, { marginMs: 50 });
 * await limiter.acquire();          // one segment
 * session.request('submit_sm', pdu, timeoutMs);
 * // on ESME_RTHROTTLED:
 * limiter.slowDown(0.5, 2000);
 */

export interface SlidingWindowLimiterOptions {
  /**
   * Added to the 1000 ms window so that clock granularity and transit jitter never let N+1
   * acquisitions land in the SMSC's own one-second window. Grants are evenly spaced, so
   * this only has to absorb jitter: default 20 here, 15 in the carrier connection (98.5% of the limit).
   */
  marginMs?: number;
  /** Monotonic clock in milliseconds. Default performance.now(). */
  now?: () => number;
}

/** The limiter was closed while a caller waited for (or asked for) a slot. */
export class LimiterClosedError extends Error {
  constructor() {
    super('rate limiter closed');
    this.name = 'LimiterClosedError';
  }
}

interface Waiter {
  remaining: number;
  resolve: () => void;
  reject: (error: Error) => void;
}

/** Longest sleep while the rate is recovering, so a waiter sees the higher rate soon. */
const RECOVERY_TICK_MS = 250;

export class SlidingWindowLimiter {
  /** Acquisitions per window at full rate. */
  limit = 1;
  /** The window at full rate, margin included. */
  windowMs = 1000;

  private readonly marginMs: number;
  private readonly now: () => number;
  /** Times of the last `limit` acquisitions, oldest first. */
  private readonly stamps: number[] = [];
  private readonly waiters: Waiter[] = [];
  private timer: NodeJS.Timeout | undefined;
  private closed = false;
  /** Rate fraction right after the last slowDown; 1 when never slowed. */
  private reducedFactor = 1;
  private holdUntil = -Infinity;
  /** When the next grant is due on the even schedule (undefined before the first). */
  private nextDue: number | undefined;
  private lastDecreaseAt = -Infinity;

  /**
   * @param limitPerSecond acquisitions allowed per second (> 0). A fractional rate of 1 or
   *   more is rounded down (never over the limit); below 1, one acquisition per 1000/rate ms.
   */
  constructor(limitPerSecond: number, options: SlidingWindowLimiterOptions = {}) {
    const marginMs = options.marginMs ?? 20;
    if (!(marginMs >= 0)) throw new RangeError(`marginMs must be >= 0, got ${marginMs}`);
    this.marginMs = marginMs;
    this.now = options.now ?? (() => performance.now());
    this.setRate(limitPerSecond);
  }

  /**
   * Changes the full rate (a task gaining or losing a bind slot's share of the carrier's TPS).
   * The window keeps its real grant times, so a lower rate holds back at once, and a higher
   * one admits only what the window has room for.
   */
  setRate(limitPerSecond: number): void {
    if (!(limitPerSecond > 0) || !Number.isFinite(limitPerSecond)) {
      throw new RangeError(`limitPerSecond must be a positive number, got ${limitPerSecond}`);
    }
    this.limit = Math.max(1, Math.floor(limitPerSecond));
    this.windowMs = (limitPerSecond >= 1 ? 1000 : 1000 / limitPerSecond) + this.marginMs;
    while (this.stamps.length > this.limit) this.stamps.shift();
    if (this.waiters.length > 0) this.pump();
  }

  /**
   * Resolves when `count` slots (segments) have been granted to this caller, after every
   * earlier caller. Rejects with {@link LimiterClosedError} once the limiter is closed.
   */
  acquire(count = 1): Promise<void> {
    if (!Number.isInteger(count) || count < 1) return Promise.reject(new RangeError(`count must be a positive integer, got ${count}`));
    if (this.closed) return Promise.reject(new LimiterClosedError());
    return new Promise<void>((resolve, reject) => {
      this.waiters.push({ remaining: count, resolve, reject });
      this.pump();
    });
  }

  /**
   * Lowers the effective rate to `factor` (0 < factor < 1) of the current one for `forMs`,
   * then recovers by a tenth of the full rate per second. Calls within one window of the last
   * decrease are ignored: the responses to a burst already on the wire all say "throttled"
   * and must count as one signal.
   */
  slowDown(factor: number, forMs: number): void {
    if (!(factor > 0 && factor < 1)) throw new RangeError(`factor must be between 0 and 1, got ${factor}`);
    const now = this.now();
    if (now - this.lastDecreaseAt < this.windowMs) return;
    this.lastDecreaseAt = now;
    this.reducedFactor = Math.max(1 / (this.limit * 20), this.factorAt(now) * factor);
    this.holdUntil = now + Math.max(0, forMs);
    this.pump();
  }

  /** The effective rate in acquisitions per second (for metrics and health reports). */
  currentRate(): number {
    return (this.limit * this.factorAt(this.now()) * 1000) / this.windowMs;
  }

  /** Callers waiting for a slot. */
  pending(): number {
    return this.waiters.length;
  }

  /** Rejects every waiter and every later acquire(). */
  close(): void {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    const waiters = this.waiters.splice(0);
    for (const w of waiters) w.reject(new LimiterClosedError());
  }

  private factorAt(now: number): number {
    if (this.reducedFactor >= 1) return 1;
    if (now < this.holdUntil) return this.reducedFactor;
    const recovered = this.reducedFactor + ((now - this.holdUntil) / 1000) * 0.1;
    if (recovered >= 1) {
      this.reducedFactor = 1;
      return 1;
    }
    return recovered;
  }

  /**
   * Slots per window and window length at the current rate: the full `limit` per `windowMs`,
   * or when slowed, fewer slots per window and, below one per window, a longer window.
   */
  private shape(now: number): { slots: number; windowMs: number } {
    const factor = this.factorAt(now);
    if (factor >= 1) return { slots: this.limit, windowMs: this.windowMs };
    const rate = this.limit * factor;
    const slots = Math.max(1, Math.floor(rate));
    return { slots, windowMs: (this.windowMs * slots) / rate };
  }

  /** Grants free slots to waiters in order, then sleeps until the next slot frees. */
  private pump(): void {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    while (this.waiters.length > 0) {
      const now = this.now();
      const { slots, windowMs } = this.shape(now);
      // The slots-th most recent acquisition must have left the window, and grants are spaced
      // evenly (window / slots apart): a burst of N at once would reach the SMSC spread by
      // transit, and its tail would land in the SMSC's next one-second window.
      const blocker = this.stamps.length >= slots ? this.stamps[this.stamps.length - slots] : undefined;
      // (Spacing under a millisecond — limits over 1000/s — is left to the window alone.)
      // Paced against the ideal schedule (the previous grant's due time, not when its timer
      // actually fired), so timer lateness does not add up into a lower rate; the window above
      // stays the hard limit.
      const spacing = windowMs / slots;
      // At most one spacing of lateness is caught up; the window (dated at real grant times)
      // still holds N+1 out of any real window.
      const paced = spacing < 1 || this.nextDue === undefined || now - this.nextDue > spacing ? now : this.nextDue;
      const windowFree = blocker === undefined ? now : blocker + windowMs;
      const freeAt = Math.max(windowFree, paced);
      // Timers work in whole milliseconds: a slot less than 1 ms away is granted now (the
      // margin covers it); waiting for it would round every interval up and lower the rate.
      if (freeAt - now >= 1) {
        const slowed = slots < this.limit || windowMs > this.windowMs;
        const wait = Math.max(1, Math.floor(freeAt - now));
        this.timer = setTimeout(() => {
          this.timer = undefined;
          this.pump();
        }, slowed ? Math.min(wait, RECOVERY_TICK_MS) : wait);
        return;
      }
      // The window counts the grant when it is really made (a late timer's grant goes out late,
      // and the SMSC counts it then); the pacing continues from its slot on the schedule, so
      // lateness does not drift into a lower rate.
      this.stamps.push(Math.max(freeAt, now));
      while (this.stamps.length > this.limit) this.stamps.shift();
      this.nextDue = freeAt + spacing;
      const head = this.waiters[0];
      if (head === undefined) return;
      head.remaining -= 1;
      if (head.remaining === 0) {
        this.waiters.shift();
        head.resolve();
      }
    }
  }
}
