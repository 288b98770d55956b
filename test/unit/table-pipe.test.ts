/**
 * TablePipe (core/aws/table-pipe.ts): reads coalesced into consistent
 * BatchGetItem requests (distinct keys, 100 at most, UnprocessedKeys asked
 * again), and write groups coalesced into batches of 25 writes without splitting
 * a group. The DynamoDB client and the writer are stubs that record what they
 * were asked; test/integration/delivery-writes.test.ts reads through MiniStack.
 * Fake timers: lingers and backoffs are measured, not waited for.
 */
import { BatchGetCommand, type BatchGetCommandOutput, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { BatchWriter, Write, WriteOutcome } from '../../core/aws/batch-writes';
import { messageKey, type TableKey } from '../../core/aws/table-keys';
import { TablePipe } from '../../core/aws/table-pipe';
import { NOW } from '../support/factories';

// ---- fixtures ---------------------------------------------------------------------------

const TABLE = 'messages';
const LINGER_MS = 20;

interface ReadRequest {
  keys: TableKey[];
  consistent: boolean | undefined;
  /** Milliseconds since the test began. */
  at: number;
}

/** What the stub table answers to one BatchGetItem: the items it returns and the keys it leaves unprocessed. */
type ReadAnswer = (keys: TableKey[], request: number) => { items: Record<string, unknown>[]; unprocessed?: TableKey[] };

/** The stored item of a key, recognisable by its `body`. */
const itemOf = (key: TableKey): Record<string, unknown> => ({ ...key, body: `item of ${key.pk}` });

/** Every key found, none left unprocessed, except the keys of messages named in `missing`. */
const allFound =
  (missing: string[] = []): ReadAnswer =>
  (keys) => ({ items: keys.filter((k) => !missing.includes(k.pk)).map(itemOf) });

function stubTable(answer: ReadAnswer = allFound()) {
  const requests: ReadRequest[] = [];
  const send = async (command: unknown): Promise<Partial<BatchGetCommandOutput>> => {
    if (!(command instanceof BatchGetCommand)) throw new Error('unexpected command');
    const asked = command.input.RequestItems?.[TABLE];
    if (!asked || Object.keys(command.input.RequestItems ?? {}).length !== 1) throw new Error(`expected a request for table ${TABLE} alone`);
    const keys = (asked.Keys ?? []) as TableKey[];
    requests.push({ keys, consistent: asked.ConsistentRead, at: Date.now() - NOW.getTime() });
    const { items, unprocessed } = answer(keys, requests.length);
    return { Responses: { [TABLE]: items }, ...(unprocessed?.length ? { UnprocessedKeys: { [TABLE]: { Keys: unprocessed, ConsistentRead: true } } } : {}) };
  };
  return { client: { send } as unknown as Pick<DynamoDBDocumentClient, 'send'>, requests };
}

/**
 * A writer that records each run and answers each write with an outcome that
 * names it (the item of an insert as if it were a failed condition's old item),
 * so a test sees which write each outcome a caller got belongs to.
 */
function stubWriter(fail?: (run: number) => Error | undefined) {
  const runs: Write[][] = [];
  const writer: BatchWriter = {
    run: async (writes) => {
      runs.push(writes);
      const error = fail?.(runs.length);
      if (error) throw error;
      return writes.map((w) => ({ ok: false, conditionFailed: true, item: w.kind === 'insert' ? w.item : { ...w.key } }));
    },
  };
  return { writer, runs };
}

/** A group of `size` inserts, named `<name>.<i>`. */
const group = (name: string, size: number): Write[] => Array.from({ length: size }, (_, i) => ({ kind: 'insert', item: { pk: `${name}.${i}`, sk: 'SMSC' } }));

/** The outcomes `stubWriter` gives for `writes`. */
const outcomesOf = (writes: Write[]): WriteOutcome[] => writes.map((w) => ({ ok: false, conditionFailed: true, item: w.kind === 'insert' ? w.item : { ...w.key } }));

const key = (n: number): TableKey => messageKey(`m-${n}`);

function pipeOn(client: Pick<DynamoDBDocumentClient, 'send'>, writer: BatchWriter = stubWriter().writer): TablePipe {
  return new TablePipe(TABLE, client, writer, LINGER_MS);
}

beforeEach(() => {
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'], now: NOW });
});

afterEach(() => {
  vi.useRealTimers();
});

// ---- reads ------------------------------------------------------------------------------

describe('TablePipe.read', () => {
  it('sends the reads made within the linger as one consistent BatchGetItem of their distinct keys, and gives each caller its item', async () => {
    // Prepare
    const { client, requests } = stubTable(allFound(['MSG#m-3']));
    const pipe = pipeOn(client);
    // Act: m-1 twice, and m-3, which is not in the table
    const reads = Promise.all([pipe.read(key(1)), pipe.read(key(2)), pipe.read(key(1)), pipe.read(key(3))]);
    await vi.advanceTimersByTimeAsync(LINGER_MS);
    // Assess
    expect(requests).toEqual([{ keys: [key(1), key(2), key(3)], consistent: true, at: LINGER_MS }]);
    expect(await reads).toEqual([itemOf(key(1)), itemOf(key(2)), itemOf(key(1)), undefined]);
  });

  it('asks for no more than 100 keys in one request: 250 reads go as 100, 100 and 50', async () => {
    // Prepare
    const { client, requests } = stubTable();
    const pipe = pipeOn(client);
    const keys = Array.from({ length: 250 }, (_, i) => key(i));
    // Act
    const reads = Promise.all(keys.map((k) => pipe.read(k)));
    await vi.advanceTimersByTimeAsync(LINGER_MS);
    // Assess
    expect(requests.map((r) => r.keys.length)).toEqual([100, 100, 50]);
    expect(requests.flatMap((r) => r.keys)).toEqual(keys);
    expect(await reads).toEqual(keys.map(itemOf));
  });

  it('asks again, after a backoff, for the keys a request left unprocessed, and serves their items to the callers that asked', async () => {
    // Prepare: the first request returns m-1 only and leaves m-2 and m-3 unprocessed
    const { client, requests } = stubTable((keys, request) =>
      request === 1 ? { items: [itemOf(key(1))], unprocessed: [key(2), key(3)] } : { items: keys.map(itemOf).reverse() },
    );
    const pipe = pipeOn(client);
    // Act
    const reads = Promise.all([pipe.read(key(3)), pipe.read(key(1)), pipe.read(key(2))]);
    await vi.advanceTimersByTimeAsync(LINGER_MS + 50);
    // Assess
    expect(requests).toEqual([
      { keys: [key(3), key(1), key(2)], consistent: true, at: LINGER_MS },
      { keys: [key(2), key(3)], consistent: true, at: LINGER_MS + 50 },
    ]);
    expect(await reads).toEqual([itemOf(key(3)), itemOf(key(1)), itemOf(key(2))]);
  });

  it('fails every caller of a batch whose keys stay unprocessed, with an error that says so, and serves the next batch', async () => {
    // Prepare: m-1 and m-2 are never processed while the first batch lasts
    let throttling = true;
    const { client, requests } = stubTable((keys) => (throttling ? { items: [], unprocessed: keys } : { items: keys.map(itemOf) }));
    const pipe = pipeOn(client);
    // Act
    const reads = Promise.allSettled([pipe.read(key(1)), pipe.read(key(2))]);
    await vi.advanceTimersByTimeAsync(LINGER_MS + 50 + 100 + 200 + 400 + 800 + 1_600);
    const failed = await reads;
    throttling = false;
    const next = pipe.read(key(1));
    await vi.advanceTimersByTimeAsync(LINGER_MS);
    // Assess: the first request and five more, each after a longer backoff
    expect(requests.slice(0, 6).map((r) => r.at)).toEqual([20, 70, 170, 370, 770, 1570]);
    expect(requests).toHaveLength(7);
    for (const r of failed) expect(r).toEqual({ status: 'rejected', reason: new Error('BatchGetItem still left 2 keys unprocessed after asking again 5 times') });
    expect(await next).toEqual(itemOf(key(1)));
  });

  it('fails every caller of a batch whose request fails', async () => {
    // Prepare
    const down = Object.assign(new Error('socket hang up'), { name: 'TimeoutError' });
    const { client } = stubTable(() => {
      throw down;
    });
    const pipe = pipeOn(client);
    // Act
    const reads = Promise.allSettled([pipe.read(key(1)), pipe.read(key(2))]);
    await vi.advanceTimersByTimeAsync(LINGER_MS);
    // Assess
    expect(await reads).toEqual([
      { status: 'rejected', reason: down },
      { status: 'rejected', reason: down },
    ]);
  });
});

// ---- writes -----------------------------------------------------------------------------

describe('TablePipe.write', () => {
  it('sends the groups written within the linger in one run of up to 25 writes, and gives each caller exactly its own outcomes', async () => {
    // Prepare
    const { client } = stubTable();
    const { writer, runs } = stubWriter();
    const pipe = pipeOn(client, writer);
    const groups = [group('a', 10), group('b', 10), group('c', 5)];
    // Act: 25 writes fill the batch, so it goes without waiting for the linger
    const written = Promise.all(groups.map((g) => pipe.write(g)));
    // Assess
    expect(runs).toEqual([groups.flat()]);
    expect(await written).toEqual(groups.map(outcomesOf));
  });

  it('starts the next request with a group that does not fit, never splitting it', async () => {
    // Prepare
    const { client } = stubTable();
    const { writer, runs } = stubWriter();
    const pipe = pipeOn(client, writer);
    const groups = [group('a', 10), group('b', 10), group('c', 10), group('d', 1)];
    // Act
    const written = Promise.all(groups.map((g) => pipe.write(g)));
    const beforeLinger = runs.length;
    await vi.advanceTimersByTimeAsync(LINGER_MS);
    // Assess
    expect(beforeLinger).toBe(1);
    expect(runs).toEqual([[...groups[0]!, ...groups[1]!], [...groups[2]!, ...groups[3]!]]);
    expect(await written).toEqual(groups.map(outcomesOf));
  });

  it('gives each caller its own outcomes when groups of different sizes and kinds share a run', async () => {
    // Prepare: a transition alone, a SUBMITTED-like group of three, an empty group, and two inserts
    const { client } = stubTable();
    const { writer, runs } = stubWriter();
    const pipe = pipeOn(client, writer);
    const transition: Write = { kind: 'transition', key: key(9), plan: { to: 'DELIVERED', from: ['SUBMITTED'], change: { status: 'DELIVERED', at: NOW.toISOString() }, set: {}, remove: [] }, historyLength: 3 };
    const groups = [[transition], group('s', 3), [], group('r', 2)];
    // Act
    const written = Promise.all(groups.map((g) => pipe.write(g)));
    await vi.advanceTimersByTimeAsync(LINGER_MS);
    // Assess
    expect(runs).toHaveLength(1);
    expect(await written).toEqual([[{ ok: false, conditionFailed: true, item: key(9) }], outcomesOf(groups[1]!), [], outcomesOf(groups[3]!)]);
  });

  it('refuses a group of more than 25 writes without running it', async () => {
    const { client } = stubTable();
    const { writer, runs } = stubWriter();
    await expect(pipeOn(client, writer).write(group('big', 26))).rejects.toThrow(new RangeError('an item weighs 26, more than a batch may (25)'));
    expect(runs).toEqual([]);
  });

  it('fails every caller of a run that fails, and runs the next batch', async () => {
    // Prepare
    const down = new Error('connection reset');
    const { client } = stubTable();
    const { writer, runs } = stubWriter((run) => (run === 1 ? down : undefined));
    const pipe = pipeOn(client, writer);
    // Act
    const first = Promise.allSettled([pipe.write(group('a', 20)), pipe.write(group('b', 5))]);
    const second = pipe.write(group('c', 1));
    await vi.advanceTimersByTimeAsync(LINGER_MS);
    // Assess
    expect(await first).toEqual([
      { status: 'rejected', reason: down },
      { status: 'rejected', reason: down },
    ]);
    expect(await second).toEqual(outcomesOf(group('c', 1)));
    expect(runs).toHaveLength(2);
  });
});

describe('TablePipe.drain', () => {
  it('sends the reads and writes that wait, without waiting for the linger', async () => {
    // Prepare
    const { client, requests } = stubTable();
    const { writer, runs } = stubWriter();
    const pipe = pipeOn(client, writer);
    const read = pipe.read(key(1));
    const written = pipe.write(group('a', 2));
    // Act
    await pipe.drain();
    // Assess
    expect(requests.map((r) => r.at)).toEqual([0]);
    expect(runs).toHaveLength(1);
    expect(await read).toEqual(itemOf(key(1)));
    expect(await written).toEqual(outcomesOf(group('a', 2)));
  });
});
