/**
 * The SMSC-id mappings this process has just written, kept in memory so that a
 * receipt for one of them needs no read: the table stays the record (a receipt on
 * another task, or after a restart, reads it there), this only saves the read in
 * the common case. Bounded: the oldest entries go first.
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

  /** The mapping, removed: a receipt makes its segment final once (a resent receipt reads the table). */
  take(carrierId: string, key: string): Mapping | undefined {
    const k = `${carrierId}#${key}`;
    const m = this.entries.get(k);
    if (m) this.entries.delete(k);
    return m;
  }

  get size(): number {
    return this.entries.size;
  }
}
