/**
 * Coalesces single calls into batches: an item waits at most `lingerMs` for
 * others to join it, and a batch goes out as soon as it weighs `maxWeight` (the
 * API's limit: 10 SQS entries, 25 PartiQL statements, 100 keys). Each caller gets
 * the result of its own item: the flush returns one result per item, an Error
 * for an item that failed, and a flush that throws fails its whole batch.
 *
 * At full speed that is one request per batch instead of one per item; at low
 * rates an item waits `lingerMs` longer, nothing else.
 *
 * @example
 *   const reads = new Batcher<Key, Item | undefined>({ maxWeight: 100, lingerMs: 20, flush: (keys) => batchGet(keys) });
 *   const item = await reads.add(key);
 */
export interface BatcherOptions<I, O> {
  /** Sends one batch; resolves with one result per item, in order (an Error fails that item alone). */
  flush: (items: I[]) => Promise<(O | Error)[]>;
  /** The most a batch may weigh. */
  maxWeight: number;
  /** How long the first item of a batch waits for others. */
  lingerMs: number;
  /** An item's weight (e.g. the statements it needs). @default 1 */
  weigh?: (item: I) => number;
}

interface Entry<I, O> {
  item: I;
  weight: number;
  resolve: (value: O) => void;
  reject: (err: Error) => void;
}

export class Batcher<I, O> {
  private pending: Entry<I, O>[] = [];
  private weight = 0;
  private timer: NodeJS.Timeout | undefined;
  private readonly inFlight = new Set<Promise<void>>();

  constructor(private readonly options: BatcherOptions<I, O>) {}

  add(item: I): Promise<O> {
    const weight = this.options.weigh?.(item) ?? 1;
    if (weight > this.options.maxWeight) return Promise.reject(new RangeError(`an item weighs ${weight}, more than a batch may (${this.options.maxWeight})`));
    return new Promise<O>((resolve, reject) => {
      // An item that would tip the batch over its limit starts the next one.
      if (this.weight + weight > this.options.maxWeight) this.flush();
      this.pending.push({ item, weight, resolve, reject });
      this.weight += weight;
      if (this.weight >= this.options.maxWeight) this.flush();
      else this.timer ??= setTimeout(() => this.flush(), this.options.lingerMs);
    });
  }

  /** Sends what is pending now and waits for every batch in flight (shutdown). */
  async drain(): Promise<void> {
    this.flush();
    while (this.inFlight.size > 0) await Promise.all([...this.inFlight]);
  }

  private flush(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    const batch = this.pending;
    this.pending = [];
    this.weight = 0;
    if (batch.length === 0) return;
    // Through a promise's executor: a flush that throws before it returns a promise fails its batch
    // too, instead of escaping from add() or the linger timer and leaving the other callers waiting.
    const sent = new Promise<(O | Error)[]>((resolve) => resolve(this.options.flush(batch.map((e) => e.item))))
      .then(
        (results) => {
          batch.forEach((e, i) => {
            const result = results[i];
            if (result instanceof Error) e.reject(result);
            else if (i >= results.length) e.reject(new Error(`the batch returned ${results.length} results for ${batch.length} items`));
            else e.resolve(result as O);
          });
        },
        (err: unknown) => {
          for (const e of batch) e.reject(err instanceof Error ? err : new Error(String(err)));
        },
      )
      .finally(() => this.inFlight.delete(sent));
    this.inFlight.add(sent);
  }
}
