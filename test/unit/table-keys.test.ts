/**
 * The table's key scheme is data that outlives deployments: these golden keys
 * fail when a change would orphan the items a running gateway has written.
 */
import { describe, expect, it } from 'vitest';
import {
  heartbeatKey,
  heartbeatsOf,
  inboundClaimKey,
  inboundPartition,
  inboundPartKey,
  isConditionalCheckFailed,
  isTransactionCanceled,
  malformedPduKey,
  messageIdOf,
  messageKey,
  optOutKey,
  optOutsOf,
  pumpingCountKey,
  recordOf,
  requestCountKey,
  retryTimerKey,
  smscIdKey,
  usageKey,
  usageOf,
} from '../../core/aws/table-keys';

describe('table keys', () => {
  it('are the ones the deployed items have', () => {
    const partition = inboundPartition({ carrierId: 'c-a', from: '+447400123456', to: '12345', reference: 7, total: 3 });
    expect([
      messageKey('m1'),
      retryTimerKey('m1', 3),
      smscIdKey('c-a', '5f1c0a'),
      heartbeatKey('c-a', 'task-1'),
      heartbeatsOf('c-a'),
      requestCountKey('acme', 1_700_000_000),
      inboundPartKey(partition, 2),
      inboundClaimKey(partition),
      malformedPduKey('c-a', new Date('2026-01-01T00:00:00.000Z'), 'x1'),
      optOutKey('acme', '+447700900123'),
      optOutKey('acme', '+447700900123', '+447700900000'),
      optOutsOf('acme'),
      usageKey('acme', { day: '2026-12-01' }),
      usageKey('acme', { month: '2026-12' }),
      usageOf('acme'),
      pumpingCountKey('acme', 493_000, { country: 'GB' }),
      pumpingCountKey('acme', 493_000, { prefix: '+447700900' }),
    ]).toEqual([
      { pk: 'MSG#m1', sk: 'MSG' },
      { pk: 'TIMER#m1', sk: '3' },
      { pk: 'SMSC#c-a#5f1c0a', sk: 'SMSC' },
      { pk: 'CARRIER#c-a', sk: 'HEARTBEAT#task-1' },
      { pk: 'CARRIER#c-a', skPrefix: 'HEARTBEAT#' },
      { pk: 'RATE#acme', sk: '1700000000' },
      { pk: 'MO#c-a#+447400123456#12345#7#3', sk: 'PART#002' },
      { pk: 'MO#c-a#+447400123456#12345#7#3', sk: 'PUBLISHED' },
      { pk: 'MALFORMED#c-a', sk: '2026-01-01T00:00:00.000Z#x1' },
      { pk: 'OPTOUT#acme', sk: '+447700900123' },
      { pk: 'OPTOUT#acme', sk: '+447700900123#+447700900000' },
      { pk: 'OPTOUT#acme' },
      { pk: 'USAGE#acme', sk: 'DAY#2026-12-01' },
      { pk: 'USAGE#acme', sk: 'MONTH#2026-12' },
      { pk: 'USAGE#acme' },
      { pk: 'PUMP#acme#493000', sk: 'C#GB' },
      { pk: 'PUMP#acme#493000', sk: 'P#+447700900' },
    ]);
  });

  it('name the message of a message record or a retry timer, and of nothing else', () => {
    expect([messageKey('m1').pk, retryTimerKey('m2', 2).pk, smscIdKey('c-a', '1').pk, heartbeatKey('c-a', 't').pk].map(messageIdOf)).toEqual(['m1', 'm2', undefined, undefined]);
  });

  it('read a message record without the table’s own attributes', () => {
    expect(recordOf({ ...messageKey('m1'), kind: 'message', expiresAt: 1, dueShard: 'DUE#1', dueAt: 'x', id: 'm1', status: 'ACCEPTED' })).toEqual({ id: 'm1', status: 'ACCEPTED' });
  });

  it('tell a failed condition and a canceled transaction by the error’s name', () => {
    expect([isConditionalCheckFailed(Object.assign(new Error('x'), { name: 'ConditionalCheckFailedException' })), isConditionalCheckFailed(new Error('x')), isConditionalCheckFailed(undefined)]).toEqual([true, false, false]);
    expect([isTransactionCanceled(Object.assign(new Error('x'), { name: 'TransactionCanceledException' })), isTransactionCanceled(new Error('x'))]).toEqual([true, false]);
  });
});
