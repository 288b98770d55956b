/**
 * SMSC-id mappings not written yet. Most receipts come back within seconds to
 * the process that submitted the message, which has the mapping in memory
 * (mapping-cache.ts): for them the mapping item would be a write nobody reads.
 * So a mapping is written only when its receipt has not come within `delayMs`
 * of submit_sm_resp, or at shutdown, or at once when a receipt for it was held
 * (it came first, or went to a process that did not know the id).
 *
 * What makes that safe is the carrier-queue message: the worker deletes it only
 * when `add()`'s promise resolves — every segment's final receipt came, or the
 * mappings are written. A process that dies before then loses nothing: the
 * queue message comes back after its visibility timeout, the worker finds the
 * message SUBMITTED for that attempt, and writes its mappings from the SMSC ids
 * on the record (DeliveryStore.restoreMappings). Receipts held in the meantime
 * are applied then (an INSERT meeting a held receipt completes it).
 *
 * The delay must stay well inside the carrier queue's visibility timeout
 * (at least 60 s, lib/gateway-stack.ts) less the time a message waits for its
 * submit_sm_resp.
 */
import type { Mapping } from './delivery-items';

/** How long a mapping waits for its receipt before it is written. */
export const MAPPING_DELAY_MS = 15_000;
/** Held receipts remembered, so that a mapping submitted after its receipt is written at once. */
const HELD_KEYS = 10_000;

export interface MappingEntry {
  key: string;
  mapping: Mapping;
}

/** Writes mappings (INSERT; one that meets a held receipt completes it and applies the receipt). */
export type MappingWriter = (carrierId: string, entries: MappingEntry[]) => Promise<void>;

interface Pending {
  carrierId: string;
  /** Segments whose receipt has not come, by mapping key. */
  open: Map<string, Mapping>;
  timer: NodeJS.Timeout | undefined;
  settle: (err?: Error) => void;
  settled: Promise<void>;
}

export class PendingMappings {
  /** By `<carrierId>#<key>`: the message's pending entry. */
  private readonly byKey = new Map<string, Pending>();
  private readonly heldKeys = new Set<string>();
  private readonly writing = new Set<Promise<void>>();

  constructor(
    private readonly write: MappingWriter,
    private readonly delayMs = MAPPING_DELAY_MS,
  ) {}

  /**
   * The mappings of a message's segments, to be written unless every receipt comes first. Resolves
   * when nothing of them is left only in memory: the carrier-queue message may go.
   */
  add(carrierId: string, entries: MappingEntry[]): Promise<void> {
    let settle!: (err?: Error) => void;
    const settled = new Promise<void>((resolve, reject) => (settle = (err) => (err ? reject(err) : resolve())));
    const p: Pending = { carrierId, open: new Map(entries.map((e) => [e.key, e.mapping])), timer: undefined, settle, settled };
    for (const e of entries) this.byKey.set(id(carrierId, e.key), p);
    if (entries.some((e) => this.heldKeys.delete(id(carrierId, e.key))) || this.delayMs === 0) this.flush(p);
    else p.timer = setTimeout(() => this.flush(p), this.delayMs);
    return settled;
  }

  /** A final receipt for this segment came: its mapping need not be written. */
  resolve(carrierId: string, key: string): void {
    const p = this.byKey.get(id(carrierId, key));
    if (!p?.open.delete(key)) return;
    this.byKey.delete(id(carrierId, key));
    if (p.open.size === 0) {
      clearTimeout(p.timer);
      p.settle();
    }
  }

  /** A receipt for this key was held in the table: its mapping, when pending here, is written now to apply it. */
  held(carrierId: string, key: string): void {
    const p = this.byKey.get(id(carrierId, key));
    if (p) return this.flush(p);
    this.heldKeys.add(id(carrierId, key));
    if (this.heldKeys.size > HELD_KEYS) this.heldKeys.delete(this.heldKeys.values().next().value!);
  }

  /** Writes every pending mapping now and waits for the writes (shutdown). */
  async drain(): Promise<void> {
    for (const p of new Set(this.byKey.values())) this.flush(p);
    while (this.writing.size > 0) await Promise.all([...this.writing]);
  }

  get size(): number {
    return this.byKey.size;
  }

  private flush(p: Pending): void {
    clearTimeout(p.timer);
    const entries = [...p.open].map(([key, mapping]) => ({ key, mapping }));
    for (const e of entries) this.byKey.delete(id(p.carrierId, e.key));
    p.open.clear();
    const written = this.write(p.carrierId, entries).then(
      () => p.settle(),
      (err: unknown) => p.settle(err instanceof Error ? err : new Error(String(err))),
    );
    this.writing.add(written);
    void written.finally(() => this.writing.delete(written));
  }
}

const id = (carrierId: string, key: string) => `${carrierId}#${key}`;
