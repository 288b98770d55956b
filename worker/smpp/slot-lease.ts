/**
 * One bind slot's lease, as its would-be holder sees it: wait for the slot to come free and
 * take it, keep it renewed, know when it must be let go, give it up.
 *
 * The holder's own deadline is counted on its monotonic clock from when the last successful
 * renewal was SENT, minus `fenceMarginMs`: the lease in the store runs from a wall-clock time
 * read before that, so the holder always stops first, and a renewal that hangs (a partition
 * from the table) still ends the tenure on time. See docs/design.md, "Bind leases".
 *
 * @example
 * const lease = new SlotLease({ store, carrierId: 'sim-a', slot: 0, owner: taskId, timing: leaseTiming() });
 * if (await lease.acquire(stop.signal)) {
 *   const lost = await lease.hold(tenure.signal); // undefined: tenure ended by us; else why it was lost
 *   if (!lost) await lease.release();
 * }
 */
import type { AcquiredLease, LeaseStore, LeaseTiming } from '../../core/domain/bind-leases';

export type LeaseLossReason = 'taken' | 'renewals_failed';

export interface SlotLeaseOptions {
  store: LeaseStore;
  carrierId: string;
  slot: number;
  /** This task's id: the lease's owner. */
  owner: string;
  timing: LeaseTiming;
  /** Monotonic clock in ms. Default performance.now(). */
  now?: () => number;
  /** A store request failed (it is tried again; the lease is let go at its deadline if renewals keep failing). */
  onStoreError?: (operation: 'acquire' | 'renew' | 'release', error: unknown) => void;
}

export class SlotLease {
  readonly slot: number;
  private readonly opts: SlotLeaseOptions;
  private readonly now: () => number;
  private token: number | undefined;
  /** Monotonic time by which this holder must have stopped using the slot. */
  private deadline = -Infinity;
  private lastSent = -Infinity;

  constructor(opts: SlotLeaseOptions) {
    this.opts = opts;
    this.slot = opts.slot;
    this.now = opts.now ?? (() => performance.now());
  }

  get held(): boolean {
    return this.token !== undefined;
  }

  /** How long a holder that lost the lease has to close its bind: the fence margin, less the allowed clock skew. */
  get fenceBudgetMs(): number {
    return Math.max(500, this.opts.timing.fenceMarginMs - this.opts.timing.skewMs);
  }

  /**
   * Looks every `acquireEveryMs` (with jitter) whether the slot is free, released or expired,
   * and takes it then. Resolves what was acquired, or undefined when `signal` aborts first.
   */
  async acquire(signal: AbortSignal): Promise<AcquiredLease | undefined> {
    const { store, carrierId, slot, owner, timing } = this.opts;
    while (!signal.aborted) {
      try {
        const state = await store.peek(carrierId, slot);
        // A cheap read first: a conditional write that fails costs as much as one that succeeds.
        const free = !state || state.owner === undefined || state.expiresAtMs < Date.now() - timing.skewMs;
        if (free && !signal.aborted) {
          const sent = this.now();
          const got = await store.acquire(carrierId, slot, owner, timing.ttlMs, timing.skewMs);
          if (got) {
            if (signal.aborted) {
              await store.release(carrierId, slot, owner, got.token).catch(() => undefined);
              return undefined;
            }
            this.token = got.token;
            this.renewed(sent);
            return got;
          }
        }
      } catch (error) {
        this.opts.onStoreError?.('acquire', error);
      }
      await sleep(timing.acquireEveryMs * (0.5 + Math.random()), signal);
    }
    return undefined;
  }

  /**
   * Renews the lease every `renewMs` until `signal` aborts (resolves undefined: the caller
   * ends the tenure and releases) or the lease is lost: another task holds it ('taken'), or
   * renewals failed until the deadline ('renewals_failed'). Either way the slot must be let go
   * at once; the lease is forgotten.
   */
  async hold(signal: AbortSignal): Promise<LeaseLossReason | undefined> {
    const { store, carrierId, slot, owner, timing } = this.opts;
    let nextRenewal = this.lastSent + timing.renewMs;
    while (!signal.aborted) {
      if (this.now() >= this.deadline) return this.lose('renewals_failed');
      await sleep(Math.min(nextRenewal, this.deadline) - this.now(), signal);
      if (signal.aborted) return undefined;
      if (this.now() >= this.deadline) return this.lose('renewals_failed');
      if (this.now() < nextRenewal) continue;
      const token = this.token;
      if (token === undefined) return this.lose('taken');
      const sent = this.now();
      const renewal = store.renew(carrierId, slot, owner, token, timing.ttlMs).then(
        (ok) => (ok ? 'renewed' : 'taken'),
        (error: unknown) => {
          this.opts.onStoreError?.('renew', error);
          return 'failed' as const;
        },
      );
      // A renewal that hangs must not hold the holder past its deadline.
      const answered = new AbortController();
      const outcome = await Promise.race([renewal, sleep(this.deadline - sent, AbortSignal.any([signal, answered.signal])).then(() => 'late' as const)]);
      answered.abort();
      if (outcome === 'renewed') {
        this.renewed(sent);
        nextRenewal = sent + timing.renewMs;
      } else if (outcome === 'taken') {
        return this.lose('taken');
      } else if (outcome === 'late') {
        if (signal.aborted) return undefined;
        return this.lose('renewals_failed');
      } else {
        nextRenewal = this.now() + Math.min(1000, timing.renewMs); // try again soon: the deadline is nearer
      }
    }
    return undefined;
  }

  /** Gives the lease up (after the bind is closed), so a waiting task takes it at once. */
  async release(): Promise<void> {
    const token = this.token;
    this.token = undefined;
    if (token === undefined) return;
    try {
      await this.opts.store.release(this.opts.carrierId, this.opts.slot, this.opts.owner, token);
    } catch (error) {
      // It expires on its own within the TTL.
      this.opts.onStoreError?.('release', error);
    }
  }

  private renewed(sentAt: number): void {
    this.lastSent = sentAt;
    this.deadline = sentAt + this.opts.timing.ttlMs - this.opts.timing.fenceMarginMs;
  }

  private lose(reason: LeaseLossReason): LeaseLossReason {
    this.token = undefined;
    return reason;
  }
}

/** Resolves after `ms`, or at once when `signal` aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise<void>((resolve) => {
    if (signal?.aborted) return resolve();
    const done = (): void => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, Math.max(0, ms));
    signal?.addEventListener('abort', done, { once: true });
  });
}
