/**
 * Batched sends that keep each key's order: the outbox's SendMessageBatch and PublishBatch
 * requests (10 entries each) for the changes of a stream batch, where a message's changes
 * must go out in order and a failed one holds back that message's later changes.
 *
 * The work is a list of owners (stream records) in order, each with a key (its message) and
 * the entries it sends, in order, each to a channel (a queue URL, a topic ARN). Entries go in
 * rounds: a round takes the next entry of every key, so no request ever holds two entries of
 * one key, and a key's next entry is sent only after its previous one succeeded; a round's
 * entries are grouped by channel into requests of at most `maxPerRequest`, sent in parallel.
 * When an entry fails (its own failure in the answer, or the whole request), its owner and every
 * later owner of the same key fail, and none of their entries is sent; other keys go on. An
 * owner that failed before sending (its plan could not be made) holds back its key the same way.
 *
 * Rounds are as many as the most entries one key has (an INSERT of a routed message: the carrier
 * send and two status events, three rounds); requests are about the entries over ten.
 *
 * @example
 *   const outcomes = await sendInOrder(work, (channel, entries) => sqsBatch(channel, entries), 10);
 *   // outcomes[i]: undefined when every entry of owner i was sent, else why not
 */

/** One owner's part: its key, its entries in order, or why it failed before sending anything. */
export interface OrderedWork<T> {
  /** Entries of one key are sent one after another, in owner order. Undefined: a key of its own. */
  readonly key: string | undefined;
  readonly entries: readonly { readonly channel: string; readonly entry: T }[];
  /** The owner failed already (e.g. its plan): its key's later owners are held back with it. */
  readonly failure?: string;
}

/**
 * Sends `entries` to `channel` in one request. Returns, per entry in order, undefined when it
 * was sent, else why not (a per-entry failure of the answer). A throw fails every entry.
 */
export type SendBatch<T> = (channel: string, entries: readonly T[]) => Promise<readonly (string | undefined)[]>;

/** Per owner, in order: undefined when all its entries were sent, else why it failed. */
export async function sendInOrder<T>(work: readonly OrderedWork<T>[], send: SendBatch<T>, maxPerRequest: number): Promise<(string | undefined)[]> {
  const keyOf = (i: number): string => work[i]!.key ?? `\u0000owner-${i}`;
  const outcomes: (string | undefined)[] = work.map(() => undefined);
  /** Per key: the first owner that failed, and why. */
  const failedFrom = new Map<string, { owner: number; reason: string }>();
  const fail = (key: string, owner: number, reason: string): void => {
    const known = failedFrom.get(key);
    if (!known || owner < known.owner) failedFrom.set(key, { owner, reason });
  };
  work.forEach((w, i) => {
    if (w.failure !== undefined) fail(keyOf(i), i, w.failure);
  });

  /** Per key, its entries still to send, in order. */
  const pending = new Map<string, { owner: number; channel: string; entry: T }[]>();
  work.forEach((w, owner) => {
    const key = keyOf(owner);
    const from = failedFrom.get(key);
    if (from && owner >= from.owner) return;
    const list = pending.get(key) ?? [];
    for (const e of w.entries) list.push({ owner, channel: e.channel, entry: e.entry });
    if (list.length > 0) pending.set(key, list);
  });

  while (pending.size > 0) {
    // This round: the head entry of every key, grouped by channel.
    const byChannel = new Map<string, { key: string; owner: number; entry: T }[]>();
    for (const [key, list] of pending) {
      const head = list[0]!;
      const group = byChannel.get(head.channel) ?? [];
      group.push({ key, owner: head.owner, entry: head.entry });
      byChannel.set(head.channel, group);
    }
    const requests: Promise<void>[] = [];
    for (const [channel, group] of byChannel) {
      for (let i = 0; i < group.length; i += maxPerRequest) {
        const chunk = group.slice(i, i + maxPerRequest);
        requests.push(
          send(channel, chunk.map((c) => c.entry)).then(
            (answers) => {
              chunk.forEach((c, j) => {
                const reason = j < answers.length ? answers[j] : 'no answer for this entry';
                if (reason === undefined) pending.get(c.key)!.shift();
                else fail(c.key, c.owner, reason);
              });
            },
            (err: unknown) => {
              const reason = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
              for (const c of chunk) fail(c.key, c.owner, reason);
            },
          ),
        );
      }
    }
    await Promise.all(requests);
    for (const [key, list] of pending) {
      const from = failedFrom.get(key);
      if (list.length === 0 || (from && list[0]!.owner >= from.owner)) pending.delete(key);
    }
  }

  work.forEach((_, i) => {
    const from = failedFrom.get(keyOf(i));
    if (from && i >= from.owner) outcomes[i] = i === from.owner ? from.reason : `an earlier change of the same message failed (${from.reason}); this one follows it when the stream retries`;
  });
  return outcomes;
}

/**
 * The per-entry outcomes of a batch answer (SQS SendMessageBatch, SNS PublishBatch) whose
 * entries were sent with the ids "0", "1", …: undefined for a successful entry, else its failure.
 */
export function entryOutcomes(
  count: number,
  successful: readonly { Id?: string }[] | undefined,
  failed: readonly { Id?: string; Code?: string; Message?: string }[] | undefined,
): (string | undefined)[] {
  const ok = new Set((successful ?? []).map((s) => s.Id));
  const why = new Map((failed ?? []).map((f) => [f.Id, `${f.Code ?? 'Failed'}: ${f.Message ?? ''}`]));
  return Array.from({ length: count }, (_, i) => (ok.has(String(i)) ? undefined : (why.get(String(i)) ?? 'not in the answer')));
}
