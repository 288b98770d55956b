/**
 * sendInOrder: the outbox's batching rule, with an in-memory channel that records every
 * request and can fail chosen entries or whole requests.
 */
import { describe, expect, it } from 'vitest';
import { entryOutcomes, sendInOrder, type OrderedWork } from '../../core/util/ordered-batches';

/** A fake of SQS/SNS batch requests: records them; `failEntry` names entries that fail, `failRequest` channels whose requests throw. */
class Channels {
  readonly requests: { channel: string; entries: string[] }[] = [];
  readonly failEntry = new Set<string>();
  readonly failRequest = new Set<string>();

  send = async (channel: string, entries: readonly string[]): Promise<(string | undefined)[]> => {
    this.requests.push({ channel, entries: [...entries] });
    if (this.failRequest.has(channel)) throw Object.assign(new Error('rate exceeded'), { name: 'ThrottlingException' });
    return entries.map((e) => (this.failEntry.has(e) ? 'InternalError: try again' : undefined));
  };

  /** What each channel took, in order (entries of failed requests or entries left out). */
  delivered(channel: string): string[] {
    return this.requests.filter((r) => r.channel === channel && !this.failRequest.has(channel)).flatMap((r) => r.entries.filter((e) => !this.failEntry.has(e)));
  }
}

/** A stream record of message `key`: its entries as "channel:entry". */
function owner(key: string | undefined, ...entries: string[]): OrderedWork<string> {
  return { key, entries: entries.map((e) => ({ channel: e.split(':')[0]!, entry: e })) };
}

describe('sendInOrder', () => {
  it('sends ten entries to a request, per channel, and reports every owner sent', async () => {
    // Prepare: 25 messages, one queue message each
    const channels = new Channels();
    const work = Array.from({ length: 25 }, (_, i) => owner(`m${i}`, `q:m${i}`));
    // Act
    const outcomes = await sendInOrder(work, channels.send, 10);
    // Assess
    expect(outcomes).toEqual(work.map(() => undefined));
    expect(channels.requests.map((r) => r.entries.length)).toEqual([10, 10, 5]);
    expect(channels.delivered('q')).toEqual(work.map((_, i) => `q:m${i}`));
  });

  it('never puts two entries of one message in one request, and sends them in order', async () => {
    // Prepare: m1's INSERT (queue message, two events) and a later change (one event); m2 one event
    const channels = new Channels();
    const work = [owner('m1', 'q:m1-send', 't:m1-0', 't:m1-1'), owner('m2', 't:m2-0'), owner('m1', 't:m1-2')];
    // Act
    await sendInOrder(work, channels.send, 10);
    // Assess: rounds — q:m1-send and t:m2-0, then t:m1-0, then t:m1-1, then t:m1-2
    expect(channels.requests).toEqual([
      { channel: 'q', entries: ['q:m1-send'] },
      { channel: 't', entries: ['t:m2-0'] },
      { channel: 't', entries: ['t:m1-0'] },
      { channel: 't', entries: ['t:m1-1'] },
      { channel: 't', entries: ['t:m1-2'] },
    ]);
    for (const r of channels.requests) expect(new Set(r.entries.map((e) => e.split(':')[1]!.split('-')[0])).size).toBe(r.entries.length);
  });

  it('a failed entry fails its owner and the same message\'s later owners, none of whose entries is sent; other messages go on', async () => {
    // Prepare: m1's ROUTED event fails
    const channels = new Channels();
    channels.failEntry.add('t:m1-routed');
    const work = [owner('m1', 't:m1-accepted', 't:m1-routed'), owner('m2', 't:m2-routed'), owner('m1', 't:m1-submitted'), owner('m2', 't:m2-submitted')];
    // Act
    const outcomes = await sendInOrder(work, channels.send, 10);
    // Assess
    expect(outcomes[0]).toBe('InternalError: try again');
    expect(outcomes[1]).toBeUndefined();
    expect(outcomes[2]).toMatch(/^an earlier change of the same message failed \(InternalError: try again\)/);
    expect(outcomes[3]).toBeUndefined();
    expect(channels.delivered('t')).toEqual(['t:m1-accepted', 't:m2-routed', 't:m2-submitted']);
    expect(channels.requests.flatMap((r) => r.entries)).not.toContain('t:m1-submitted');
  });

  it('a request that throws fails every owner in it, and only those', async () => {
    // Prepare: the queue refuses; the topic answers
    const channels = new Channels();
    channels.failRequest.add('q');
    const work = [owner('m1', 'q:m1-send', 't:m1-0'), owner('m2', 't:m2-0')];
    // Act
    const outcomes = await sendInOrder(work, channels.send, 10);
    // Assess: m1's events are not published ahead of its failed send
    expect(outcomes).toEqual(['ThrottlingException: rate exceeded', undefined]);
    expect(channels.delivered('t')).toEqual(['t:m2-0']);
  });

  it('an owner that failed before sending holds back its message\'s later owners, not its earlier ones', async () => {
    // Prepare: m1's second record could not be planned
    const channels = new Channels();
    const work: OrderedWork<string>[] = [owner('m1', 't:m1-0'), { key: 'm1', entries: [], failure: 'ZodError: bad image' }, owner('m1', 't:m1-2'), owner('m2', 't:m2-0')];
    // Act
    const outcomes = await sendInOrder(work, channels.send, 10);
    // Assess
    expect(outcomes[0]).toBeUndefined();
    expect(outcomes[1]).toBe('ZodError: bad image');
    expect(outcomes[2]).toMatch(/earlier change of the same message failed \(ZodError: bad image\)/);
    expect(outcomes[3]).toBeUndefined();
    expect(channels.delivered('t')).toEqual(['t:m1-0', 't:m2-0']);
  });

  it('owners without a key are independent of each other', async () => {
    const channels = new Channels();
    channels.failEntry.add('t:a');
    const outcomes = await sendInOrder([owner(undefined, 't:a'), owner(undefined, 't:b')], channels.send, 10);
    expect(outcomes).toEqual(['InternalError: try again', undefined]);
    expect(channels.requests).toEqual([{ channel: 't', entries: ['t:a', 't:b'] }]);
  });

  it('an entry missing from the answer counts as failed', async () => {
    const outcomes = await sendInOrder([owner('m1', 't:a'), owner('m2', 't:b')], async () => [undefined], 10);
    expect(outcomes).toEqual([undefined, 'no answer for this entry']);
  });

  it('sends nothing for no work', async () => {
    const channels = new Channels();
    expect(await sendInOrder([], channels.send, 10)).toEqual([]);
    expect(channels.requests).toEqual([]);
  });
});

describe('entryOutcomes', () => {
  it('maps a batch answer back to its entries by id', () => {
    expect(entryOutcomes(3, [{ Id: '0' }, { Id: '2' }], [{ Id: '1', Code: 'InternalError', Message: 'boom' }])).toEqual([undefined, 'InternalError: boom', undefined]);
    expect(entryOutcomes(2, [{ Id: '0' }], undefined)).toEqual([undefined, 'not in the answer']);
  });
});
