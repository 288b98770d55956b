/**
 * The message table's key scheme, in one place: every item kind with its keys
 * and its `kind` attribute. The stores, the outbox, the sweeper and the stream
 * filter (lib/gateway-stack.ts) build and read keys only through this module.
 *
 *   MSG#<id> / MSG                                    message record            kind message
 *   TIMER#<message id> / <next attempt>               retry timer               kind retry-timer
 *   SMSC#<carrier>#<normalised smsc id> / SMSC        SMSC-id mapping           kind smsc-id
 *   CARRIER#<carrier> / HEARTBEAT#<task>              worker heartbeat          kind heartbeat
 *   CARRIER#<carrier> / LEASE#<slot>                  bind lease                kind bind-lease
 *   RATE#<tenant> / <epoch second>                    API request count         kind request-count
 *   MO#<carrier>#<from>#<to>#<ref>#<total> / PART#<n> inbound part              kind inbound-part
 *   MO#<…> / PUBLISHED                                its publication claim     kind inbound-claim
 *   INBOUND#<inbound id> / INBOUND                    inbound message           kind inbound-message
 *     (in the `list` index: listShard INBOX#<tenant> or INBOX#(unowned) / listAt <received ISO>#<inbound id>)
 *   MALFORMED#<carrier> / <ISO time>#<random>         unreadable deliver_sm     kind malformed-pdu
 *   OPTOUT#<tenant> / <number>[#<sender>]             opt-out (or its removal)  kind opt-out
 *   USAGE#<tenant> / DAY#<yyyy-mm-dd> | MONTH#<yyyy-mm> usage and quota counts  kind usage
 *   PUMP#<tenant>#<epoch hour> / C#<ISO> | P#<prefix>  pumping-window count      kind pumping-count
 *
 * The sparse `due` index (dueShard / dueAt) is described in core/domain/deadlines.ts, the
 * `list` index of message records (listShard / listAt) in core/domain/message-list.ts.
 * No AWS SDK here: lib/ imports it at synth.
 */
import type { MessageRecord } from '../domain/message';

export type TableKey = { pk: string; sk: string };

/** The `kind` attribute of each item. */
export const ItemKind = {
  message: 'message',
  retryTimer: 'retry-timer',
  smscId: 'smsc-id',
  heartbeat: 'heartbeat',
  bindLease: 'bind-lease',
  requestCount: 'request-count',
  inboundPart: 'inbound-part',
  inboundClaim: 'inbound-claim',
  inboundMessage: 'inbound-message',
  malformedPdu: 'malformed-pdu',
  optOut: 'opt-out',
  usage: 'usage',
  pumpingCount: 'pumping-count',
} as const;

/** Partition key prefixes: the stream filter passes message records and retry timers by these. */
export const KeyPrefix = {
  message: 'MSG#',
  retryTimer: 'TIMER#',
  smscId: 'SMSC#',
  carrier: 'CARRIER#',
  requestCount: 'RATE#',
  inbound: 'MO#',
  inboundMessage: 'INBOUND#',
  inbox: 'INBOX#',
  malformed: 'MALFORMED#',
  optOut: 'OPTOUT#',
  usage: 'USAGE#',
  pumping: 'PUMP#',
} as const;

const HEARTBEAT = 'HEARTBEAT#';
const LEASE = 'LEASE#';
const PART = 'PART#';
const UNOWNED = '(unowned)';

export const messageKey = (id: string): TableKey => ({ pk: `${KeyPrefix.message}${id}`, sk: 'MSG' });

export const retryTimerKey = (messageId: string, nextAttempt: number): TableKey => ({ pk: `${KeyPrefix.retryTimer}${messageId}`, sk: String(nextAttempt) });

export const smscIdKey = (carrierId: string, smscKey: string): TableKey => ({ pk: `${KeyPrefix.smscId}${carrierId}#${smscKey}`, sk: 'SMSC' });

export const heartbeatKey = (carrierId: string, taskId: string): TableKey => ({ pk: `${KeyPrefix.carrier}${carrierId}`, sk: `${HEARTBEAT}${taskId}` });

/** The partition and sort key prefix that a query for every heartbeat of a carrier uses. */
export const heartbeatsOf = (carrierId: string): { pk: string; skPrefix: string } => ({ pk: `${KeyPrefix.carrier}${carrierId}`, skPrefix: HEARTBEAT });

export const bindLeaseKey = (carrierId: string, slot: number): TableKey => ({ pk: `${KeyPrefix.carrier}${carrierId}`, sk: `${LEASE}${String(slot).padStart(2, '0')}` });

/** The partition and sort key prefix that a query for every bind lease of a carrier uses. */
export const bindLeasesOf = (carrierId: string): { pk: string; skPrefix: string } => ({ pk: `${KeyPrefix.carrier}${carrierId}`, skPrefix: LEASE });

export const requestCountKey = (tenantId: string, windowSecond: number): TableKey => ({ pk: `${KeyPrefix.requestCount}${tenantId}`, sk: String(windowSecond) });

/** The partition of one concatenated inbound message: its parts and its publication claim. */
export const inboundPartition = (m: { carrierId: string; from: string; to: string; reference: number; total: number }): string =>
  `${KeyPrefix.inbound}${m.carrierId}#${m.from}#${m.to}#${m.reference}#${m.total}`;

export const inboundPartKey = (partition: string, sequence: number): TableKey => ({ pk: partition, sk: `${PART}${String(sequence).padStart(3, '0')}` });

export const inboundPartsOf = (partition: string): { pk: string; skPrefix: string } => ({ pk: partition, skPrefix: PART });

export const inboundClaimKey = (partition: string): TableKey => ({ pk: partition, sk: 'PUBLISHED' });

export const inboundMessageKey = (id: string): TableKey => ({ pk: `${KeyPrefix.inboundMessage}${id}`, sk: 'INBOUND' });

/**
 * The `list` index partition of a tenant's inbound messages (its messages' are `<tenant>#<n>`:
 * core/domain/message-list.ts); those to a number no tenant owns share INBOX#(unowned) (no tenant
 * id has parentheses, or capitals).
 */
export const inboxPartition = (tenantId: string | undefined): string => `${KeyPrefix.inbox}${tenantId ?? UNOWNED}`;

/** The `list` index sort key of an inbound message: newest first is a descending query; the id keeps two messages of one millisecond apart. */
export const inboxSortKey = (receivedAt: string, id: string): string => `${receivedAt}#${id}`;

/** The inbound message a `list` sort key names (its id after the time). */
export const inboundIdOfInboxKey = (inboxSk: string): string => inboxSk.slice(inboxSk.lastIndexOf('#') + 1);

export const malformedPduKey = (carrierId: string, at: Date, unique: string): TableKey => ({ pk: `${KeyPrefix.malformed}${carrierId}`, sk: `${at.toISOString()}#${unique}` });

/**
 * A tenant's opt-out of a number: tenant-wide, or (optOut.scope sender) from one sender only. The
 * partition holds every opt-out of the tenant, in number order: the list endpoint pages through it.
 */
export const optOutKey = (tenantId: string, number: string, sender?: string): TableKey => ({
  pk: `${KeyPrefix.optOut}${tenantId}`,
  sk: sender === undefined ? number : `${number}#${sender}`,
});

export const optOutsOf = (tenantId: string): { pk: string } => ({ pk: `${KeyPrefix.optOut}${tenantId}` });

/** A tenant's usage of one UTC day (`2026-12-01`) or month (`2026-12`). */
export const usageKey = (tenantId: string, period: { day: string } | { month: string }): TableKey => ({
  pk: `${KeyPrefix.usage}${tenantId}`,
  sk: 'day' in period ? `DAY#${period.day}` : `MONTH#${period.month}`,
});

export const usageOf = (tenantId: string): { pk: string } => ({ pk: `${KeyPrefix.usage}${tenantId}` });

/** One pumping window: a tenant's messages in one hour to a country, or to a number prefix. */
export const pumpingCountKey = (tenantId: string, epochHour: number, scope: { country: string } | { prefix: string }): TableKey => ({
  pk: `${KeyPrefix.pumping}${tenantId}#${epochHour}`,
  sk: 'country' in scope ? `C#${scope.country}` : `P#${scope.prefix}`,
});

/** The message an item belongs to, for message records and retry timers; undefined for any other item. */
export function messageIdOf(pk: string): string | undefined {
  for (const prefix of [KeyPrefix.message, KeyPrefix.retryTimer]) if (pk.startsWith(prefix)) return pk.slice(prefix.length);
  return undefined;
}

/** A message record from its item: without the table's own attributes (keys, kind, TTL, due and list indexes). */
export function recordOf(item: Record<string, unknown>): MessageRecord {
  const { pk: _pk, sk: _sk, kind: _kind, expiresAt: _exp, dueShard: _shard, dueAt: _due, listShard: _list, listAt: _listAt, ...rest } = item;
  return rest as unknown as MessageRecord;
}

/** A conditional write whose condition did not hold (by name: SDK clients of different copies throw different classes). */
export function isConditionalCheckFailed(err: unknown): boolean {
  return (err as { name?: unknown } | undefined)?.name === 'ConditionalCheckFailedException';
}

/** A transaction refused as a whole, e.g. because one of its conditions did not hold. */
export function isTransactionCanceled(err: unknown): boolean {
  return (err as { name?: unknown } | undefined)?.name === 'TransactionCanceledException';
}
