/**
 * The delivery path's writes and reads on the emulator (core/aws/batch-writes.ts,
 * core/aws/table-pipe.ts): both writer modes run the same writes on a table of
 * their own and must end the same way, write by write and item by item. The
 * PartiQL writer is production's; item-by-item is what the emulator runs, because
 * MiniStack's PartiQL writes emit no stream records.
 *
 * Needs only the emulator, not the deployed stack: the file makes (and deletes) a
 * scratch table with the message table's keys. Run it alone with SKIP_DEPLOY=1
 * so the setup leaves the shared stack alone (test/integration/global-setup.ts).
 */
import { randomUUID } from 'node:crypto';
import { CreateTableCommand, DeleteTableCommand, DynamoDBClient, waitUntilTableExists } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { batchWriter, type Write, type WriteMode, type WriteOutcome } from '../../core/aws/batch-writes';
import { ItemKind, messageKey, smscIdKey, type TableKey } from '../../core/aws/table-keys';
import { TablePipe } from '../../core/aws/table-pipe';
import type { MessageRecord, MessageStatus } from '../../core/domain/message';
import { applyTransition, planTransition, type TransitionOptions } from '../../core/domain/transition';
import { messageRecord, NOW, RETENTION_DAYS } from '../support/factories';
import { useEmulator } from '../support/local';

// ---- the scratch table ------------------------------------------------------------------

const TABLE = `delivery-writes-${randomUUID()}`;
let raw: DynamoDBClient;
let dynamo: DynamoDBDocumentClient;

beforeAll(async () => {
  useEmulator();
  raw = new DynamoDBClient({});
  dynamo = DynamoDBDocumentClient.from(raw, { marshallOptions: { removeUndefinedValues: true } });
  // The message table's key schema (lib/constructs/message-table.ts): string pk and sk.
  await raw.send(
    new CreateTableCommand({
      TableName: TABLE,
      KeySchema: [
        { AttributeName: 'pk', KeyType: 'HASH' },
        { AttributeName: 'sk', KeyType: 'RANGE' },
      ],
      AttributeDefinitions: [
        { AttributeName: 'pk', AttributeType: 'S' },
        { AttributeName: 'sk', AttributeType: 'S' },
      ],
      BillingMode: 'PAY_PER_REQUEST',
    }),
  );
  await waitUntilTableExists({ client: raw, maxWaitTime: 30 }, { TableName: TABLE });
});

afterAll(async () => {
  await raw?.send(new DeleteTableCommand({ TableName: TABLE }));
  raw?.destroy();
});

/** The document client, counting the commands sent through it by name. */
function counted(): { client: Pick<DynamoDBDocumentClient, 'send'>; commands: string[] } {
  const commands: string[] = [];
  const send = ((command: { constructor: { name: string } }) => {
    commands.push(command.constructor.name);
    return dynamo.send(command as never);
  }) as DynamoDBDocumentClient['send'];
  return { client: { send }, commands };
}

const read = async (key: TableKey): Promise<Record<string, unknown> | undefined> =>
  (await dynamo.send(new GetCommand({ TableName: TABLE, Key: key, ConsistentRead: true }))).Item;

// ---- the scenario -----------------------------------------------------------------------

/** A message record as the table holds it: keys, kind, the record, and the due index. */
function storedMessage(id: string, overrides: Partial<MessageRecord>): Record<string, unknown> {
  const record = messageRecord({ id, ...overrides });
  return { ...messageKey(id), kind: ItemKind.message, ...record, dueShard: 3, dueAt: record.validUntil };
}

/** A ROUTED message on attempt 1, as the worker reads it before submitting: two history entries. */
const routed = (id: string) =>
  storedMessage(id, { status: 'ROUTED', attempt: 1, carrierId: 'c-a', history: [{ status: 'ACCEPTED', at: NOW.toISOString() }, { status: 'ROUTED', at: NOW.toISOString(), carrierId: 'c-a', attempt: 1 }] });

const smscMapping = (messageId: string, smscId: string) => ({ ...smscIdKey('c-a', smscId), kind: ItemKind.smscId, messageId, attempt: 1 });

interface Case {
  /** What the table holds before. */
  seed?: Record<string, unknown>;
  write: Write;
  /** What the write should answer. */
  outcome: WriteOutcome;
  /** The key whose item is compared afterwards, and what it should be. */
  key: TableKey;
  after: Record<string, unknown> | undefined;
}

/** A transition of the seeded `item` (undefined: no such message), its expected outcome and the item after it. */
function transition(item: Record<string, unknown> | undefined, id: string, to: MessageStatus, options: TransitionOptions, applies: boolean, historyLength?: number): Case {
  const plan = planTransition(to, { now: NOW, ...options }, RETENTION_DAYS);
  const history = (item?.history as unknown[] | undefined)?.length ?? 0;
  return {
    ...(item ? { seed: item } : {}),
    write: { kind: 'transition', key: messageKey(id), plan, historyLength: historyLength ?? history },
    outcome: applies ? { ok: true } : { ok: false, conditionFailed: true, item },
    key: messageKey(id),
    // The one rule's in-memory application is what the table should now hold.
    after: applies ? { ...applyTransition(item as unknown as MessageRecord, plan) } : item,
  };
}

function insert(item: Record<string, unknown>, existing?: Record<string, unknown>): Case {
  const key = { pk: String(item.pk), sk: String(item.sk) };
  return {
    ...(existing ? { seed: existing } : {}),
    write: { kind: 'insert', item },
    outcome: existing ? { ok: false, duplicate: true } : { ok: true },
    key,
    after: existing ?? item,
  };
}

/** The cases of one call, on ids that start with `ns` (each mode writes its own items). */
function mixedCases(ns: string): Case[] {
  const id = (name: string) => `${ns}-${name}`;
  return [
    // SUBMITTED: one `from` status, the attempt guard, SMSC ids set, history entry at [2].
    transition(routed(id('submitted')), id('submitted'), 'SUBMITTED', { expectedAttempt: 1, carrierId: 'c-a', set: { smscIds: ['5f1e'] } }, true),
    // FAILED: four `from` statuses, final, so the due index attributes go and the TTL is set.
    transition(routed(id('failed')), id('failed'), 'FAILED', { reason: 'ESME_RINVDSTADR', carrierId: 'c-a' }, true),
    // A receipt for a message not yet SUBMITTED: the status condition fails.
    transition(routed(id('early-receipt')), id('early-receipt'), 'DELIVERED', { reason: 'receipt' }, false),
    // The worker read one history entry, but the record has two: the size guard fails.
    transition(routed(id('stale-read')), id('stale-read'), 'SUBMITTED', { expectedAttempt: 1 }, false, 1),
    // Another attempt has started: the attempt guard fails.
    transition(routed(id('old-attempt')), id('old-attempt'), 'SUBMITTED', { expectedAttempt: 2 }, false),
    // No such message.
    transition(undefined, id('missing'), 'DELIVERED', {}, false),
    insert(smscMapping(id('submitted'), `${ns}-new`)),
    // The mapping exists: the insert is a duplicate and leaves it as it was.
    insert(smscMapping(id('submitted'), `${ns}-taken`), smscMapping(id('other'), `${ns}-taken`)),
  ];
}

/** 25 writes, exactly one of which (the 14th) fails its condition. */
function fullBatchCases(ns: string): Case[] {
  const id = (n: number) => `${ns}-full-${n}`;
  return Array.from({ length: 25 }, (_, n) => {
    if (n === 13) return transition(routed(id(n)), id(n), 'DELIVERED', {}, false);
    if (n % 2 === 0) return transition(routed(id(n)), id(n), 'SUBMITTED', { expectedAttempt: 1, carrierId: 'c-a' }, true);
    return insert(smscMapping(id(n - 1), `${ns}-full-${n}`));
  });
}

interface Run {
  outcomes: WriteOutcome[];
  items: (Record<string, unknown> | undefined)[];
  commands: string[];
}

/** Seeds the cases, runs their writes in one call of the `mode` writer, and reads back every item. */
async function runCases(mode: WriteMode, cases: Case[]): Promise<Run> {
  for (const c of cases) if (c.seed) await dynamo.send(new PutCommand({ TableName: TABLE, Item: c.seed }));
  const { client, commands } = counted();
  const outcomes = await batchWriter(mode, TABLE, client).run(cases.map((c) => c.write));
  const items = await Promise.all(cases.map((c) => read(c.key)));
  return { outcomes, items, commands };
}

/** The same value with a mode's namespace replaced, to compare the two modes' items. */
const neutral = (value: unknown, ns: string): unknown => JSON.parse(JSON.stringify(value ?? null).replaceAll(ns, 'NS'));

// ---- tests ------------------------------------------------------------------------------

describe.each(['partiql', 'item-by-item'] as const)('batchWriter(%s) on the emulator', (mode) => {
  it('applies, refuses and reports each write of a mixed call as the transition rule says', async () => {
    // Prepare
    const cases = mixedCases(`${mode}-${randomUUID()}`);
    // Act
    const run = await runCases(mode, cases);
    // Assess
    expect(run.outcomes).toEqual(cases.map((c) => c.outcome));
    expect(run.items).toEqual(cases.map((c) => c.after));
    expect(run.commands).toEqual(mode === 'partiql' ? ['BatchExecuteStatementCommand'] : [...Array(6).fill('UpdateCommand'), 'PutCommand', 'PutCommand']);
  });

  it('appends the history entry at its index and applies the plan’s set and remove', async () => {
    // Prepare
    const ns = `${mode}-${randomUUID()}`;
    const [submitted, failed] = mixedCases(ns);
    // Act
    const run = await runCases(mode, [submitted!, failed!]);
    // Assess: spelled out, beyond agreeing with applyTransition
    const [afterSubmit, afterFail] = run.items as Record<string, unknown>[];
    expect(afterSubmit!.history).toEqual([
      { status: 'ACCEPTED', at: NOW.toISOString() },
      { status: 'ROUTED', at: NOW.toISOString(), carrierId: 'c-a', attempt: 1 },
      { status: 'SUBMITTED', at: NOW.toISOString(), carrierId: 'c-a' },
    ]);
    expect(afterSubmit).toMatchObject({ status: 'SUBMITTED', smscIds: ['5f1e'], attempt: 1, dueShard: 3 });
    expect(afterFail).toMatchObject({ status: 'FAILED', reason: 'ESME_RINVDSTADR', expiresAt: Math.floor(NOW.getTime() / 1000) + RETENTION_DAYS * 86_400 });
    expect((afterFail!.history as unknown[]).at(-1)).toEqual({ status: 'FAILED', at: NOW.toISOString(), reason: 'ESME_RINVDSTADR', carrierId: 'c-a' });
    expect(afterFail).not.toHaveProperty('dueShard');
    expect(afterFail).not.toHaveProperty('dueAt');
  });

  it('runs 25 writes in one call with exactly one failing, the others applied', async () => {
    // Prepare
    const cases = fullBatchCases(`${mode}-${randomUUID()}`);
    // Act
    const run = await runCases(mode, cases);
    // Assess
    expect(run.outcomes.map((o, n) => (o.ok ? 'ok' : n))).toEqual(cases.map((_, n) => (n === 13 ? 13 : 'ok')));
    expect(run.outcomes).toEqual(cases.map((c) => c.outcome));
    expect(run.items).toEqual(cases.map((c) => c.after));
    expect(run.commands).toHaveLength(mode === 'partiql' ? 1 : 25);
  });
});

describe('batchWriter: the two modes', () => {
  it('give the same outcome per write and leave the same items', async () => {
    // Prepare
    const modes = ['partiql', 'item-by-item'] as const;
    const namespaces = modes.map((mode) => `${mode}-${randomUUID()}`);
    // Act
    const runs = await Promise.all(modes.map((mode, i) => runCases(mode, [...mixedCases(namespaces[i]!), ...fullBatchCases(namespaces[i]!)])));
    // Assess
    const [partiql, itemByItem] = runs.map((run, i) => ({ outcomes: neutral(run.outcomes, namespaces[i]!), items: neutral(run.items, namespaces[i]!) }));
    expect(itemByItem).toEqual(partiql);
    // The failed conditions carry the item as plain JavaScript (unmarshalled), in both modes.
    for (const run of runs) {
      const refused = run.outcomes.find((o): o is Extract<WriteOutcome, { conditionFailed: true }> => !o.ok && 'conditionFailed' in o && o.item !== undefined);
      expect(refused?.item).toMatchObject({ status: 'ROUTED', attempt: 1, history: [{ status: 'ACCEPTED' }, { status: 'ROUTED' }] });
    }
  });
});

describe('TablePipe reads on the emulator', () => {
  it('reads existing and missing keys in one consistent BatchGetItem and gives each caller its item', async () => {
    // Prepare
    const ns = `pipe-${randomUUID()}`;
    const stored = [routed(`${ns}-a`), smscMapping(`${ns}-a`, `${ns}-smsc`), routed(`${ns}-b`)];
    for (const item of stored) await dynamo.send(new PutCommand({ TableName: TABLE, Item: item }));
    const { client, commands } = counted();
    const pipe = new TablePipe(TABLE, client, batchWriter('partiql', TABLE, client), 5);
    const keys = [...stored.map((i) => ({ pk: String(i.pk), sk: String(i.sk) })), messageKey(`${ns}-missing`)];
    // Act: the first key twice
    const items = await Promise.all([...keys, keys[0]!].map((k) => pipe.read(k)));
    // Assess
    expect(items).toEqual([...stored, undefined, stored[0]]);
    expect(commands).toEqual(['BatchGetCommand']);
  });
});
