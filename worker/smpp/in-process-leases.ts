/**
 * Bind leases among the carrier connections of one process: the same rules as the table's
 * leases (core/aws/bind-lease-store.ts), kept in memory. A connection given no lease store
 * uses one of its own, so it alone holds every slot, as a single process should (the bench,
 * the SMPP tests, a tool that binds once). The worker always passes the table's store.
 *
 * @example
 * const leases = new InProcessLeases();
 * const a = new CarrierConnection({ carrier, password, leases, taskId: 'a', ... });
 * const b = new CarrierConnection({ carrier, password, leases, taskId: 'b', ... }); // a standby of a
 */
import type { AcquiredLease, LeaseState, LeaseStore } from '../../core/domain/bind-leases';

export class InProcessLeases implements LeaseStore {
  private readonly leases = new Map<string, LeaseState>();

  constructor(private readonly clock: () => number = Date.now) {}

  peek(carrierId: string, slot: number): Promise<LeaseState | undefined> {
    const lease = this.leases.get(key(carrierId, slot));
    return Promise.resolve(lease ? { ...lease } : undefined);
  }

  acquire(carrierId: string, slot: number, owner: string, ttlMs: number, skewMs: number): Promise<AcquiredLease | undefined> {
    const now = this.clock();
    const before = this.leases.get(key(carrierId, slot));
    if (before?.owner !== undefined && before.expiresAtMs >= now - skewMs) return Promise.resolve(undefined);
    const token = (before?.token ?? 0) + 1;
    this.leases.set(key(carrierId, slot), { carrierId, slot, owner, token, expiresAtMs: now + ttlMs });
    const previousOwner = before?.owner;
    return Promise.resolve({ token, previousOwner, takeover: previousOwner !== undefined && previousOwner !== owner });
  }

  renew(carrierId: string, slot: number, owner: string, token: number, ttlMs: number): Promise<boolean> {
    const lease = this.leases.get(key(carrierId, slot));
    if (lease?.owner !== owner || lease.token !== token) return Promise.resolve(false);
    lease.expiresAtMs = this.clock() + ttlMs;
    return Promise.resolve(true);
  }

  release(carrierId: string, slot: number, owner: string, token: number): Promise<void> {
    const lease = this.leases.get(key(carrierId, slot));
    if (lease?.owner === owner && lease.token === token) {
      lease.owner = undefined;
      lease.expiresAtMs = 0;
    }
    return Promise.resolve();
  }

  list(carrierId: string): Promise<LeaseState[]> {
    return Promise.resolve([...this.leases.values()].filter((l) => l.carrierId === carrierId).map((l) => ({ ...l })));
  }
}

const key = (carrierId: string, slot: number): string => `${carrierId}#${slot}`;
