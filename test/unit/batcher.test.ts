/**
 * Batcher (core/util/batcher.ts): when a batch goes out (linger, weight), what
 * each caller gets back (its own result, its own error, its batch's failure), and
 * drain() at shutdown. Fake timers: the linger is measured, not waited for.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { Batcher, type BatcherOptions } from '../../core/util/batcher';

// ---- fixtures ---------------------------------------------------------------------------

/** A promise the test resolves when it chooses, to hold a flush in flight. */
function gate(): { opened: Promise<void>; open: () => void } {
  let open = (): void => undefined;
  const opened = new Promise<void>((resolve) => (open = resolve));
  return { opened, open: () => open() };
}

/** Lets settled promises run their callbacks (setImmediate is not faked here). */
const settle = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** Whether a promise has settled yet, without waiting for it. */
function tracked<T>(promise: Promise<T>): { settled: () => boolean } {
  let settled = false;
  promise.then(
    () => (settled = true),
    () => (settled = true),
  );
  return { settled: () => settled };
}

/** A batcher of numbers whose flush records each batch and answers ten times each item. */
function recording(options: Partial<BatcherOptions<number, number>> = {}) {
  const batches: number[][] = [];
  const batcher = new Batcher<number, number>({
    maxWeight: 3,
    lingerMs: 10,
    flush: async (items) => {
      batches.push(items);
      return items.map((n) => n * 10);
    },
    ...options,
  });
  return { batcher, batches };
}

beforeEach(() => {
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
});

afterEach(() => {
  vi.useRealTimers();
});

// ---- tests ------------------------------------------------------------------------------

describe('Batcher: when a batch goes out', () => {
  it('holds the first item lingerMs for others to join, then sends them all in one flush', async () => {
    // Prepare
    const { batcher, batches } = recording({ maxWeight: 10, lingerMs: 10 });
    // Act: items at 0, 5 and 9 ms; the linger counts from the first one
    const first = batcher.add(1);
    await vi.advanceTimersByTimeAsync(5);
    const second = batcher.add(2);
    await vi.advanceTimersByTimeAsync(4);
    const third = batcher.add(3);
    const beforeLinger = batches.length;
    await vi.advanceTimersByTimeAsync(1);
    // Assess
    expect(beforeLinger).toBe(0);
    expect(batches).toEqual([[1, 2, 3]]);
    expect(await Promise.all([first, second, third])).toEqual([10, 20, 30]);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('sends a batch the moment it weighs maxWeight, without waiting for the linger', async () => {
    // Prepare
    const { batcher, batches } = recording({ maxWeight: 3, lingerMs: 1_000 });
    // Act
    const results = Promise.all([batcher.add(1), batcher.add(2), batcher.add(3)]);
    // Assess: flushed synchronously by the third add, and no linger timer left behind
    expect(batches).toEqual([[1, 2, 3]]);
    expect(vi.getTimerCount()).toBe(0);
    expect(await results).toEqual([10, 20, 30]);
  });

  it('starts a new linger for the items after a full batch', async () => {
    // Prepare
    const { batcher, batches } = recording({ maxWeight: 2, lingerMs: 10 });
    // Act
    const full = Promise.all([batcher.add(1), batcher.add(2)]);
    const next = batcher.add(3);
    await vi.advanceTimersByTimeAsync(9);
    const afterNine = batches.length;
    await vi.advanceTimersByTimeAsync(1);
    // Assess
    expect(afterNine).toBe(1);
    expect(batches).toEqual([[1, 2], [3]]);
    expect(await full).toEqual([10, 20]);
    expect(await next).toBe(30);
  });

  it('weighs items with weigh(): two items of weights 4 and 6 fill a batch of 10', async () => {
    // Prepare
    const batches: string[][] = [];
    const batcher = new Batcher<string, number>({
      maxWeight: 10,
      lingerMs: 1_000,
      weigh: (s) => s.length,
      flush: async (items) => (batches.push(items), items.map((s) => s.length)),
    });
    // Act
    const results = Promise.all([batcher.add('aaaa'), batcher.add('bbbbbb')]);
    // Assess
    expect(batches).toEqual([['aaaa', 'bbbbbb']]);
    expect(await results).toEqual([4, 6]);
  });

  it('refuses an item heavier than a batch may be, and sends nothing for it', async () => {
    // Prepare
    const { batcher, batches } = recording({ maxWeight: 10, weigh: (n) => n });
    // Act
    const refused = batcher.add(11);
    // Assess
    await expect(refused).rejects.toThrow(new RangeError('an item weighs 11, more than a batch may (10)'));
    await expect(refused).rejects.toBeInstanceOf(RangeError);
    await vi.advanceTimersByTimeAsync(100);
    expect(batches).toEqual([]);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('takes an item exactly as heavy as maxWeight, as a batch of its own', async () => {
    const { batcher, batches } = recording({ maxWeight: 10, weigh: (n) => n });
    const result = batcher.add(10);
    expect(batches).toEqual([[10]]);
    expect(await result).toBe(100);
  });

  it('sends the waiting batch when an item would tip it over, and starts the next batch with that item', async () => {
    // Prepare
    const { batcher, batches } = recording({ maxWeight: 10, lingerMs: 10, weigh: (n) => n });
    // Act: 6 waits; 5 would make 11
    const six = batcher.add(6);
    const five = batcher.add(5);
    const afterTip = structuredClone(batches);
    await vi.advanceTimersByTimeAsync(10);
    // Assess
    expect(afterTip).toEqual([[6]]);
    expect(batches).toEqual([[6], [5]]);
    expect(await six).toBe(60);
    expect(await five).toBe(50);
  });
});

describe('Batcher: what each caller gets', () => {
  it('rejects only the caller whose item the flush answered with an Error', async () => {
    // Prepare
    const bad = new Error('item 2 failed');
    const { batcher } = recording({ flush: async () => [10, bad, 30] });
    // Act
    const results = Promise.allSettled([batcher.add(1), batcher.add(2), batcher.add(3)]);
    // Assess
    expect(await results).toEqual([
      { status: 'fulfilled', value: 10 },
      { status: 'rejected', reason: bad },
      { status: 'fulfilled', value: 30 },
    ]);
  });

  it('rejects every caller of a batch whose flush rejects, and not the callers of the next batch', async () => {
    // Prepare
    const failure = new Error('socket hang up');
    let calls = 0;
    const { batcher } = recording({ maxWeight: 2, flush: async (items) => (calls++ === 0 ? Promise.reject(failure) : items.map((n) => n * 10)) });
    // Act: two full batches, one after the other
    const first = Promise.allSettled([batcher.add(1), batcher.add(2)]);
    const second = Promise.allSettled([batcher.add(3), batcher.add(4)]);
    // Assess
    expect(await first).toEqual([
      { status: 'rejected', reason: failure },
      { status: 'rejected', reason: failure },
    ]);
    expect(await second).toEqual([
      { status: 'fulfilled', value: 30 },
      { status: 'fulfilled', value: 40 },
    ]);
  });

  it('rejects every caller of a batch whose flush throws before returning a promise, whether a full batch or the linger sent it', async () => {
    // Prepare: a flush that is not async throws where it is called, twice
    let calls = 0;
    const { batcher } = recording({
      maxWeight: 2,
      flush: (items) => {
        if (calls++ < 2) throw new Error(`bad request ${calls}`);
        return Promise.resolve(items.map((n) => n * 10));
      },
    });
    const messages = (results: PromiseSettledResult<number>[]) => results.map((r) => (r.status === 'rejected' ? (r.reason as Error).message : r.status));
    // Act: a full batch (sent from add), then a lone item (sent from the linger timer), then one more
    const full = Promise.allSettled([batcher.add(1), batcher.add(2)]);
    const lone = Promise.allSettled([batcher.add(3)]);
    await vi.advanceTimersByTimeAsync(10);
    const after = Promise.allSettled([batcher.add(4)]);
    await vi.advanceTimersByTimeAsync(10);
    // Assess
    expect(messages(await full)).toEqual(['bad request 1', 'bad request 1']);
    expect(messages(await lone)).toEqual(['bad request 2']);
    expect(await after).toEqual([{ status: 'fulfilled', value: 40 }]);
  });

  it('turns a thrown non-Error into an Error for every caller', async () => {
    const { batcher } = recording({ maxWeight: 1, flush: () => Promise.reject('throttled') });
    await expect(batcher.add(1)).rejects.toThrow(new Error('throttled'));
  });

  it('rejects the callers a flush returned no result for, saying how many results came for how many items', async () => {
    // Prepare
    const { batcher } = recording({ flush: async () => [10] });
    // Act
    const results = await Promise.allSettled([batcher.add(1), batcher.add(2), batcher.add(3)]);
    // Assess
    expect(results[0]).toEqual({ status: 'fulfilled', value: 10 });
    for (const r of results.slice(1)) expect(r).toEqual({ status: 'rejected', reason: new Error('the batch returned 1 results for 3 items') });
  });

  it('passes undefined through as a result (a read that found nothing), not as a missing one', async () => {
    const batcher = new Batcher<number, string | undefined>({ maxWeight: 2, lingerMs: 10, flush: async () => ['one', undefined] });
    expect(await Promise.all([batcher.add(1), batcher.add(2)])).toEqual(['one', undefined]);
  });
});

describe('Batcher.drain', () => {
  it('sends what waits without waiting for the linger, and resolves once it is answered', async () => {
    // Prepare
    const { batcher, batches } = recording({ maxWeight: 10, lingerMs: 60_000 });
    const results = Promise.all([batcher.add(1), batcher.add(2)]);
    // Act
    await batcher.drain();
    // Assess
    expect(batches).toEqual([[1, 2]]);
    expect(await results).toEqual([10, 20]);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('waits for every batch in flight, including the one it sent itself', async () => {
    // Prepare: a full batch in flight and one item lingering, each held at a gate
    const gates = [gate(), gate()];
    const batches: number[][] = [];
    const batcher = new Batcher<number, number>({
      maxWeight: 2,
      lingerMs: 60_000,
      flush: async (items) => {
        const held = gates[batches.push(items) - 1]!;
        await held.opened;
        return items.map((n) => n * 10);
      },
    });
    const full = Promise.all([batcher.add(1), batcher.add(2)]);
    const lingering = batcher.add(3);
    // Act
    const drained = tracked(batcher.drain());
    await settle();
    const sentByDrain = structuredClone(batches);
    gates[0]!.open();
    await settle();
    const afterFirst = drained.settled();
    gates[1]!.open();
    await settle();
    // Assess
    expect(sentByDrain).toEqual([[1, 2], [3]]);
    expect(afterFirst).toBe(false);
    expect(drained.settled()).toBe(true);
    expect(await full).toEqual([10, 20]);
    expect(await lingering).toBe(30);
  });

  it('resolves at once when nothing waits or flies, and resolves even when a batch failed', async () => {
    // Prepare
    const { batcher } = recording({ maxWeight: 10, flush: () => Promise.reject(new Error('down')) });
    // Act
    await batcher.drain();
    const failed = batcher.add(1);
    const drained = batcher.drain();
    // Assess
    await expect(failed).rejects.toThrow('down');
    await expect(drained).resolves.toBeUndefined();
  });
});
