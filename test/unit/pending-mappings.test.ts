/**
 * PendingMappings (core/aws/pending-mappings.ts): an SMSC-id mapping is written
 * only when its receipt does not come first, and the promise that lets the
 * worker delete the queue message settles only when nothing is left in memory.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { Mapping } from '../../core/aws/delivery-items';
import { PendingMappings, type MappingEntry } from '../../core/aws/pending-mappings';

const mapping = (segment: number, segments = 1): Mapping => ({ messageId: 'm-1', segment, segments, attempt: 1, historyIndex: 3, submittedAt: '2026-12-01T12:00:00.000Z' });
const entries = (segments: number): MappingEntry[] => Array.from({ length: segments }, (_, i) => ({ key: `id-${i}`, mapping: mapping(i, segments) }));

/** A writer that records what it was asked to write, and the pending set with a 15 s delay. */
function setup(write: (carrierId: string, e: MappingEntry[]) => Promise<void> = async () => undefined) {
  const writes: { carrierId: string; keys: string[] }[] = [];
  const pending = new PendingMappings(async (carrierId, e) => {
    writes.push({ carrierId, keys: e.map((x) => x.key) });
    await write(carrierId, e);
  }, 15_000);
  return { pending, writes };
}

/** Whether a promise has settled (after the microtasks queued so far). */
async function state(p: Promise<void>): Promise<'pending' | 'resolved' | 'rejected'> {
  let s: 'pending' | 'resolved' | 'rejected' = 'pending';
  p.then(
    () => (s = 'resolved'),
    () => (s = 'rejected'),
  );
  await vi.advanceTimersByTimeAsync(0);
  return s;
}

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

describe('PendingMappings', () => {
  it('writes nothing when every segment’s receipt comes within the delay, and settles then', async () => {
    // Prepare
    const { pending, writes } = setup();
    const settled = pending.add('c-a', entries(2));
    // Act
    pending.resolve('c-a', 'id-0');
    const afterOne = await state(settled);
    pending.resolve('c-a', 'id-1');
    await vi.advanceTimersByTimeAsync(20_000);
    // Assess
    expect(afterOne).toBe('pending');
    expect(await state(settled)).toBe('resolved');
    expect(writes).toEqual([]);
    expect(pending.size).toBe(0);
  });

  it('writes the mappings of segments whose receipts have not come once the delay is over, and settles when they are written', async () => {
    // Prepare
    let finish!: () => void;
    const { pending, writes } = setup(() => new Promise<void>((r) => (finish = r)));
    const settled = pending.add('c-a', entries(3));
    pending.resolve('c-a', 'id-1');
    // Act
    await vi.advanceTimersByTimeAsync(14_999);
    const before = writes.length;
    await vi.advanceTimersByTimeAsync(1);
    const whileWriting = await state(settled);
    finish();
    // Assess
    expect(before).toBe(0);
    expect(writes).toEqual([{ carrierId: 'c-a', keys: ['id-0', 'id-2'] }]);
    expect(whileWriting).toBe('pending');
    expect(await state(settled)).toBe('resolved');
  });

  it('rejects when writing fails, so the queue message stays and comes back', async () => {
    // Prepare
    const { pending } = setup(async () => {
      throw new Error('ProvisionedThroughputExceededException');
    });
    const settled = pending.add('c-a', entries(1));
    settled.catch(() => undefined);
    // Act
    await vi.advanceTimersByTimeAsync(15_000);
    // Assess
    await expect(settled).rejects.toThrow('ProvisionedThroughputExceededException');
  });

  it('writes at once a mapping whose receipt was held while it was pending', async () => {
    // Prepare
    const { pending, writes } = setup();
    const settled = pending.add('c-a', entries(1));
    // Act
    pending.held('c-a', 'id-0');
    // Assess
    expect(writes).toEqual([{ carrierId: 'c-a', keys: ['id-0'] }]);
    expect(await state(settled)).toBe('resolved');
  });

  it('writes at once a mapping added after a receipt for it was held (the receipt overtook submit_sm_resp)', async () => {
    // Prepare
    const { pending, writes } = setup();
    pending.held('c-a', 'id-0');
    // Act
    const settled = pending.add('c-a', entries(1));
    // Assess
    expect(writes).toEqual([{ carrierId: 'c-a', keys: ['id-0'] }]);
    expect(await state(settled)).toBe('resolved');
  });

  it('tells carriers apart: a held receipt of one carrier does not write another’s mapping with the same id', async () => {
    const { pending, writes } = setup();
    pending.held('c-b', 'id-0');
    pending.add('c-a', entries(1));
    expect(writes).toEqual([]);
  });

  it('ignores a receipt for a segment it does not hold, and a second receipt for one it resolved', async () => {
    const { pending, writes } = setup();
    const settled = pending.add('c-a', entries(2));
    pending.resolve('c-a', 'id-9');
    pending.resolve('c-a', 'id-0');
    pending.resolve('c-a', 'id-0');
    expect(await state(settled)).toBe('pending');
    await vi.advanceTimersByTimeAsync(15_000);
    expect(writes).toEqual([{ carrierId: 'c-a', keys: ['id-1'] }]);
  });

  it('writes every pending mapping on drain and waits for the writes (shutdown)', async () => {
    // Prepare
    const { pending, writes } = setup();
    const one = pending.add('c-a', entries(1));
    const two = pending.add('c-b', entries(2));
    // Act
    await pending.drain();
    // Assess
    expect(writes).toEqual([
      { carrierId: 'c-a', keys: ['id-0'] },
      { carrierId: 'c-b', keys: ['id-0', 'id-1'] },
    ]);
    expect([await state(one), await state(two)]).toEqual(['resolved', 'resolved']);
    expect(pending.size).toBe(0);
  });

  it('writes at once with a delay of 0', async () => {
    const writes: string[][] = [];
    const pending = new PendingMappings(async (_, e) => void writes.push(e.map((x) => x.key)), 0);
    pending.add('c-a', entries(1));
    expect(writes).toEqual([['id-0']]);
  });
});
