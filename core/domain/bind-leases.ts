/**
 * Bind leases: how several worker tasks share one carrier account's binds and TPS.
 *
 * A carrier has `binds` bind slots, 0 … binds-1. A task opens a slot's bind only while it
 * holds that slot's lease, so all tasks together never hold more than `binds` binds. Each
 * slot carries a share of the carrier's `tps` ({@link tpsShare}); a task's rate limit is the
 * sum of the shares of the slots it holds, so the carrier never sees more than `tps` in a
 * second, whichever tasks hold the slots, and no task asks another for anything on the
 * submit path.
 *
 * A lease is an item with its owner, its expiry (wall-clock epoch milliseconds, written by
 * the owner) and a fencing token that grows by one with every acquisition. The timing rules
 * (TTL, renewal, clock skew, what a partitioned task does) are in docs/design.md, "Bind
 * leases", and {@link LeaseTiming}.
 *
 * No AWS SDK here: the DynamoDB store is core/aws/bind-lease-store.ts; a store for the
 * connections of one process is worker/smpp/in-process-leases.ts.
 */

/** A slot's lease as its store holds it. */
export interface LeaseState {
  carrierId: string;
  slot: number;
  /** The task holding it; undefined once released (or never taken). */
  owner: string | undefined;
  /** Grows by one with every acquisition; a renewal or release names the token it holds. */
  token: number;
  /** Wall-clock epoch milliseconds until which the owner may bind. */
  expiresAtMs: number;
}

/** What an acquisition got. */
export interface AcquiredLease {
  token: number;
  /** The owner before this acquisition, when the lease was not released but let expire. */
  previousOwner: string | undefined;
  /** true when an unreleased lease of another task was taken over after it expired. */
  takeover: boolean;
}

/** Where leases live: conditional writes, so two tasks never both hold a slot. */
export interface LeaseStore {
  /** The slot's lease now (undefined: never taken). A cheap read: it decides whether acquiring is worth a write. */
  peek(carrierId: string, slot: number): Promise<LeaseState | undefined>;
  /**
   * Takes the slot when it is free, released, or expired more than `skewMs` ago (by this
   * task's clock): undefined when another task holds it.
   */
  acquire(carrierId: string, slot: number, owner: string, ttlMs: number, skewMs: number): Promise<AcquiredLease | undefined>;
  /** Extends the lease to now + ttlMs; false when it is no longer this owner's with this token. */
  renew(carrierId: string, slot: number, owner: string, token: number, ttlMs: number): Promise<boolean>;
  /** Gives the lease up at once (only when this owner still holds it with this token). */
  release(carrierId: string, slot: number, owner: string, token: number): Promise<void>;
  /** Every slot's lease of a carrier (health, the console). */
  list(carrierId: string): Promise<LeaseState[]>;
}

/** The timing of leases; see docs/design.md, "Bind leases". */
export interface LeaseTiming {
  /** How long a lease lasts after each renewal. Default 15000. */
  ttlMs: number;
  /** Renewal interval: a third of the TTL, so two renewals may fail before the holder must let go. */
  renewMs: number;
  /** How often a task without the lease looks whether the slot came free. Default 1000. */
  acquireEveryMs: number;
  /** Clock skew allowed between tasks: a lease is taken over only this long after its expiry. Default 1000. */
  skewMs: number;
  /**
   * The holder stops submitting and unbinds this long before the expiry of the last renewal
   * that succeeded (counted on its monotonic clock from when that renewal was sent): time to
   * close the bind before anyone else may take the slot. Default 5000.
   */
  fenceMarginMs: number;
}

export const DEFAULT_LEASE_TTL_MS = 15_000;

/** The lease timing for a TTL (its other parts derived from it; see LeaseTiming). */
export function leaseTiming(ttlMs = DEFAULT_LEASE_TTL_MS): LeaseTiming {
  if (!(ttlMs >= 3000)) throw new RangeError(`lease TTL must be at least 3000 ms, got ${ttlMs}`);
  return {
    ttlMs,
    renewMs: Math.floor(ttlMs / 3),
    acquireEveryMs: 1000,
    skewMs: 1000,
    fenceMarginMs: Math.min(5000, Math.floor(ttlMs / 3)),
  };
}

/**
 * The share of the carrier's TPS that bind slot `slot` carries: tps split evenly over the
 * binds, the remainder one by one to the first slots, a fractional part to slot 0. The shares
 * add up to `tps` exactly.
 *
 * @example tpsShare(40, 2, 1) // 20
 * @example [0, 1, 2].map((s) => tpsShare(10, 3, s)) // [4, 3, 3]
 */
export function tpsShare(tps: number, binds: number, slot: number): number {
  const whole = Math.floor(tps);
  const base = Math.floor(whole / binds);
  const share = base + (slot < whole % binds ? 1 : 0);
  return slot === 0 ? share + (tps - whole) : share;
}
