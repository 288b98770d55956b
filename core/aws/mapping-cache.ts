/**
 * The SMSC-id mappings of the messages this process submitted, kept in memory so
 * that a receipt for one of them needs no read — and, while it is pending
 * (pending-mappings.ts), no mapping item at all. A receipt on another task, or
 * after a restart, reads the table. Bounded: the oldest entries go first.
 */
import type { Mapping } from './delivery-items';

/** Receipts mostly come within minutes; beyond this many mappings, the oldest are read from the table. */
export const MAPPING_CACHE_SIZE = 100_000;

export class MappingCache {
  private readonly entries = new Map<string, Mapping>();

  constructor(private readonly maxSize = MAPPING_CACHE_SIZE) {}

  remember(carrierId: string, key: string, mapping: Mapping): void {
    const k = `${carrierId}#${key}`;
    this.entries.delete(k);
    this.entries.set(k, mapping);
    if (this.entries.size > this.maxSize) this.entries.delete(this.entries.keys().next().value!);
  }

  get(carrierId: string, key: string): Mapping | undefined {
    return this.entries.get(`${carrierId}#${key}`);
  }

  /** A final receipt made its segment final: a resent receipt reads the table. */
  forget(carrierId: string, key: string): void {
    this.entries.delete(`${carrierId}#${key}`);
  }

  get size(): number {
    return this.entries.size;
  }
}
