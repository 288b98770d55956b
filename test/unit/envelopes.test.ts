/**
 * The routing fields: one schema for what routing needs, taken the same way from
 * a message record, its stream image, a retry timer and an envelope.
 */
import { describe, expect, it } from 'vitest';
import { ingestEnvelope, routingFieldsOf } from '../../core/domain/envelopes';
import { completeMessageRecord, messageRecord } from '../support/factories';

describe('routingFieldsOf', () => {
  it('takes exactly the routing fields of a record, leaving the rest', () => {
    const record = completeMessageRecord();
    expect(routingFieldsOf(record)).toEqual({ tenantId: record.tenantId, to: record.to, country: 'GB', from: 'ACME', type: 'transactional', validUntil: record.validUntil });
  });

  it('leaves out the optional ones a message does not have', () => {
    const record = messageRecord({ country: undefined });
    expect(Object.keys(routingFieldsOf(record)).sort()).toEqual(['tenantId', 'to', 'type', 'validUntil']);
  });

  it('refuses a source without them, naming what is missing', () => {
    expect(() => routingFieldsOf({ to: '+447400123456' })).toThrow(/tenantId/);
  });
});

describe('ingestEnvelope', () => {
  it('is the same for a stream image, a retry timer and a record read back', () => {
    const record = messageRecord();
    const timer = { kind: 'retry-timer', messageId: record.id, nextAttempt: 2, dueAt: 'x', ...routingFieldsOf(record) };
    const fromImage = ingestEnvelope({ ...record, messageId: record.id }, 2);
    expect(ingestEnvelope(timer, 2)).toEqual(fromImage);
    expect(fromImage).toEqual({ v: 1, messageId: record.id, attempt: 2, ...routingFieldsOf(record) });
  });
});
