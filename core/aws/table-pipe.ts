/**
 * The worker's coalesced way to the message table: every read of the delivery
 * path (the records of a received group, the SMSC-id mappings of receipts) shares
 * consistent BatchGetItem requests of up to 100 keys, and every write (SUBMITTED,
 * the mappings, receipts' final changes) shares batches of up to 25 statements
 * (batch-writes.ts). A read or write waits at most `lingerMs` for others.
 *
 * A write group (the writes one caller hands over together, e.g. a message's
 * mappings) always travels in one request. Each caller gets its own result.
 */
import { BatchGetCommand, type BatchGetCommandOutput, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { Batcher } from '../util/batcher';
import type { BatchWriter, Write, WriteOutcome } from './batch-writes';
import { MAX_BATCH_STATEMENTS } from './partiql';
import type { TableKey } from './table-keys';

/** BatchGetItem's limit. */
const MAX_KEYS = 100;
/** How many times a read batch asks again for keys left unprocessed before it gives up (each caller then sees the error). */
const UNPROCESSED_ROUNDS = 5;

const id = (k: TableKey) => `${k.pk}|${k.sk}`;

export class TablePipe {
  private readonly reads: Batcher<TableKey, Record<string, unknown> | undefined>;
  private readonly writes: Batcher<Write[], WriteOutcome[]>;

  constructor(
    private readonly tableName: string,
    private readonly client: Pick<DynamoDBDocumentClient, 'send'>,
    private readonly writer: BatchWriter,
    lingerMs = 20,
  ) {
    this.reads = new Batcher({ maxWeight: MAX_KEYS, lingerMs, flush: (keys) => this.readBatch(keys) });
    this.writes = new Batcher({ maxWeight: MAX_BATCH_STATEMENTS, lingerMs, weigh: (group) => group.length, flush: (groups) => this.writeBatch(groups) });
  }

  /** The item at `key` (a consistent read), or undefined. */
  read(key: TableKey): Promise<Record<string, unknown> | undefined> {
    return this.reads.add(key);
  }

  /** Writes a group of up to 25 writes in one request; one outcome per write. */
  write(group: Write[]): Promise<WriteOutcome[]> {
    return this.writes.add(group);
  }

  /** Sends what waits and waits for what is in flight (shutdown). */
  async drain(): Promise<void> {
    await Promise.all([this.reads.drain(), this.writes.drain()]);
  }

  private async readBatch(keys: TableKey[]): Promise<(Record<string, unknown> | undefined)[]> {
    const found = new Map<string, Record<string, unknown>>();
    // Distinct keys (BatchGetItem refuses duplicates); keys it leaves unprocessed are asked again.
    let todo: Record<string, unknown>[] | undefined = [...new Map(keys.map((k) => [id(k), k])).values()];
    for (let round = 0; todo && todo.length > 0; round++) {
      if (round > 0) {
        // UnprocessedKeys means the table is throttling: back off before asking again.
        if (round > UNPROCESSED_ROUNDS) throw new Error(`BatchGetItem still left ${todo.length} keys unprocessed after asking again ${UNPROCESSED_ROUNDS} times`);
        await new Promise((r) => setTimeout(r, 25 * 2 ** round));
      }
      const out: BatchGetCommandOutput = await this.client.send(new BatchGetCommand({ RequestItems: { [this.tableName]: { Keys: todo, ConsistentRead: true } } }));
      for (const item of out.Responses?.[this.tableName] ?? []) found.set(id(item as TableKey), item);
      todo = out.UnprocessedKeys?.[this.tableName]?.Keys;
    }
    return keys.map((k) => found.get(id(k)));
  }

  private async writeBatch(groups: Write[][]): Promise<WriteOutcome[][]> {
    const outcomes = await this.writer.run(groups.flat());
    let next = 0;
    return groups.map((g) => outcomes.slice(next, (next += g.length)));
  }
}
