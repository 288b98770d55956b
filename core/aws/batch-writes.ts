/**
 * The coalesced writes of the delivery path, described once and sent one of two
 * ways, with the same outcome per write:
 *
 * - `partiql` (production): BatchExecuteStatement, 25 statements a request, each
 *   with its own condition (core/aws/partiql.ts).
 * - `item-by-item`: one UpdateItem / PutItem each, in parallel. For emulators only:
 *   MiniStack's PartiQL writes emit no stream records, and the table stream is the
 *   outbox (status events, webhooks). docs/design.md lists the gap; the PartiQL
 *   writer is tested against the emulator on its own (test/integration/delivery-writes.test.ts).
 *
 * A status change is the TransitionPlan of core/domain/transition.ts, with its
 * history entry at index `historyLength` under the condition that the history
 * still has that length: an exact append, known from the record the worker read.
 */
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { PutCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import type { TransitionPlan } from '../domain/transition';
import { transitionUpdate } from './message-store';
import { insertStatement, runStatements, transitionStatement, type StatementOutcome } from './partiql';
import { isConditionalCheckFailed, type TableKey } from './table-keys';

export type Write =
  | { kind: 'transition'; key: TableKey; plan: TransitionPlan; historyLength: number }
  /** A new item: `duplicate` when its key exists. */
  | { kind: 'insert'; item: Record<string, unknown> };

export type { StatementOutcome as WriteOutcome } from './partiql';

export type WriteMode = 'partiql' | 'item-by-item';

export interface BatchWriter {
  /** One outcome per write, in order; a write that failed for good carries its error. */
  run(writes: Write[]): Promise<StatementOutcome[]>;
}

export function batchWriter(mode: WriteMode, tableName: string, client: Pick<DynamoDBDocumentClient, 'send'>): BatchWriter {
  return mode === 'partiql' ? new PartiqlWriter(tableName, client) : new ItemByItemWriter(tableName, client);
}

class PartiqlWriter implements BatchWriter {
  constructor(
    private readonly tableName: string,
    private readonly client: Pick<DynamoDBDocumentClient, 'send'>,
  ) {}

  run(writes: Write[]): Promise<StatementOutcome[]> {
    return runStatements(
      this.client,
      writes.map((w) => (w.kind === 'transition' ? transitionStatement(this.tableName, w.key, w.plan, w.historyLength) : insertStatement(this.tableName, w.item))),
    );
  }
}

class ItemByItemWriter implements BatchWriter {
  constructor(
    private readonly tableName: string,
    private readonly client: Pick<DynamoDBDocumentClient, 'send'>,
  ) {}

  run(writes: Write[]): Promise<StatementOutcome[]> {
    return Promise.all(writes.map((w) => this.one(w)));
  }

  private async one(w: Write): Promise<StatementOutcome> {
    try {
      if (w.kind === 'insert') {
        await this.client.send(new PutCommand({ TableName: this.tableName, Item: w.item, ConditionExpression: 'attribute_not_exists(pk)' }));
        return { ok: true };
      }
      const update = transitionUpdate(w.plan);
      await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: w.key,
          ...update,
          // The same guard as the PartiQL statement's: the history still has the length the worker read.
          ConditionExpression: `${update.ConditionExpression} AND size(#history) = :historyLength`,
          ExpressionAttributeValues: { ...update.ExpressionAttributeValues, ':historyLength': w.historyLength },
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        }),
      );
      return { ok: true };
    } catch (err) {
      if (!isConditionalCheckFailed(err)) return { ok: false, error: err as Error };
      if (w.kind === 'insert') return { ok: false, duplicate: true };
      // The document client does not unmarshall an exception's item (it does a PartiQL response's).
      const item = (err as { Item?: Record<string, AttributeValue> }).Item;
      return { ok: false, conditionFailed: true, item: item ? unmarshall(item) : undefined };
    }
  }
}
