/**
 * The usage items of the message table (core/domain/usage.ts): the API's counts at acceptance,
 * the outbox's counts by final status, and the reads of GET /v1/usage and of a refused cap.
 *
 * Every count is one UpdateItem of ADDs, so concurrent API Lambdas and outbox invocations share
 * one exact figure without a read; the API's carries the cap as its condition. Usage items are
 * kept (one small item per tenant and day, and per month): /v1/usage reads any past range.
 * The outbox's stream filter passes only message records and retry timers, so they never reach it.
 */
import { GetCommand, QueryCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { AddLimits, UsageCounter } from '../api/quota-step';
import type { ChargeTotals, UsedFigures } from '../domain/quota';
import { figureAttribute, usageDayOf, type UsageDay, type UsageFigures } from '../domain/usage';
import { dynamo } from './clients';
import { isConditionalCheckFailed, ItemKind, usageKey, usageOf } from './table-keys';

/** One ADD expression over named figures: `ADD #a0 :a0, #a1 :a1 …`, with the item's kind. */
function addExpression(figures: [attribute: string, value: number][]) {
  const names: Record<string, string> = { '#kind': 'kind' };
  const values: Record<string, unknown> = { ':kind': ItemKind.usage };
  const parts = figures.map(([attribute, value], i) => {
    names[`#a${i}`] = attribute;
    values[`:a${i}`] = value;
    return `#a${i} :a${i}`;
  });
  return { UpdateExpression: `ADD ${parts.join(', ')} SET #kind = :kind`, ExpressionAttributeNames: names, ExpressionAttributeValues: values };
}

function figuresOf(f: UsageFigures, group?: string): [string, number][] {
  return [
    [figureAttribute('messages', group), f.messages],
    [figureAttribute('segments', group), f.segments],
    [figureAttribute('spend', group), f.spendMicros],
  ];
}

export class DynamoUsageCounter implements UsageCounter {
  constructor(
    private readonly tableName: string,
    private readonly client: DynamoDBDocumentClient = dynamo(),
  ) {}

  async add(tenantId: string, period: { day: string } | { month: string }, totals: ChargeTotals, limits?: AddLimits): Promise<{ segments: number; spendMicros: number } | undefined> {
    // figuresOf puts messages, segments, spend first: #a1 is segments and #a2 spend, which the caps condition.
    const figures = figuresOf(totals);
    // The day item also holds the figures by country; the month item is only for the monthly caps.
    if ('day' in period) for (const [country, f] of totals.byCountry) figures.push(...figuresOf(f, country));
    const expression = addExpression(figures);
    const conditions: string[] = [];
    if (limits?.segments !== undefined) {
      conditions.push('(attribute_not_exists(#a1) OR #a1 <= :segmentsRoom)');
      expression.ExpressionAttributeValues[':segmentsRoom'] = limits.segments;
    }
    if (limits?.spendMicros !== undefined) {
      conditions.push('(attribute_not_exists(#a2) OR #a2 <= :spendRoom)');
      expression.ExpressionAttributeValues[':spendRoom'] = limits.spendMicros;
    }
    try {
      const result = await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: usageKey(tenantId, period),
          ...expression,
          ...(conditions.length > 0 ? { ConditionExpression: conditions.join(' AND ') } : {}),
          ReturnValues: 'UPDATED_NEW',
        }),
      );
      return { segments: Number(result.Attributes?.segments ?? 0), spendMicros: Number(result.Attributes?.spend ?? 0) };
    } catch (err) {
      if (isConditionalCheckFailed(err)) return undefined;
      throw err;
    }
  }

  async read(tenantId: string, periods: { day: string; month: string }): Promise<UsedFigures> {
    // SEGMENTS is a DynamoDB reserved word: every name goes through ExpressionAttributeNames.
    const get = (period: { day: string } | { month: string }) =>
      this.client.send(new GetCommand({ TableName: this.tableName, Key: usageKey(tenantId, period), ConsistentRead: true, ProjectionExpression: '#segments, #spend', ExpressionAttributeNames: { '#segments': 'segments', '#spend': 'spend' } }));
    const [day, month] = await Promise.all([get({ day: periods.day }), get({ month: periods.month })]);
    return { daySegments: Number(day.Item?.segments ?? 0), monthSegments: Number(month.Item?.segments ?? 0), monthSpendMicros: Number(month.Item?.spend ?? 0) };
  }

  /** Adds one tenant-day's changes by group (a final status, a country, '' the totals): the outbox, one UpdateItem per tenant-day. */
  async addStatuses(tenantId: string, day: string, byGroup: ReadonlyMap<string, UsageFigures>): Promise<void> {
    const figures = [...byGroup].flatMap(([group, f]) => figuresOf(f, group === '' ? undefined : group));
    await this.client.send(new UpdateCommand({ TableName: this.tableName, Key: usageKey(tenantId, { day }), ...addExpression(figures) }));
  }

  /** The tenant's days from `from` to `to` (inclusive, yyyy-mm-dd); days without an item are left out. */
  async days(tenantId: string, from: string, to: string): Promise<UsageDay[]> {
    const out: UsageDay[] = [];
    let start: Record<string, unknown> | undefined;
    do {
      const page = await this.client.send(
        new QueryCommand({
          TableName: this.tableName,
          KeyConditionExpression: 'pk = :pk AND sk BETWEEN :from AND :to',
          ExpressionAttributeValues: { ':pk': usageOf(tenantId).pk, ':from': usageKey(tenantId, { day: from }).sk, ':to': usageKey(tenantId, { day: to }).sk },
          ConsistentRead: true,
          ...(start ? { ExclusiveStartKey: start } : {}),
        }),
      );
      for (const item of page.Items ?? []) out.push(usageDayOf(String(item.sk).slice('DAY#'.length), item));
      start = page.LastEvaluatedKey;
    } while (start);
    return out;
  }
}
