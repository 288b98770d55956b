/**
 * What the worker does with a deliver_sm, with in-memory stand-ins for the
 * stores and the topic: a receipt is correlated by its normalised SMSC id and
 * counted once, an unreadable PDU is recorded by its reason, and an inbound
 * message is recorded once all its parts are in, with the tenant that owns its
 * number, then its keyword is handled — its parts released when either fails, so
 * the SMSC's resend handles it again; a resend recorded already is not counted
 * again; a message to a number nobody owns is still recorded, and flagged.
 */
import { describe, expect, it, vi } from 'vitest';
import type { InboundPart, StoredInbound } from '../../core/aws/inbound-store';
import { OptOutConfig } from '../../core/config/schema';
import type { ReceiptResult } from '../../core/aws/receipt-writes';
import type { Receipt } from '../../core/domain/receipt';
import { deliverHandler } from '../../worker/deliver-handler';
import type { InboundPdu } from '../../worker/smpp/carrier-connection';

const CARRIER = { id: 'sim-b', receiptIdFormat: 'hex' as const };
const NOW = Date.parse('2026-12-01T12:00:05.000Z');

function receipt(overrides: Partial<Receipt> = {}): InboundPdu {
  return { kind: 'receipt', receipt: { smscId: '1234', state: 'DELIVERED', final: true, ...overrides }, raw: { sourceAddr: '447700900123', destinationAddr: '447700900000', esmClass: 4, dataCoding: 0, shortMessage: Buffer.alloc(0) } };
}

function inboundPart(concat?: { reference: number; total: number; sequence: number }, to = '447700900000'): InboundPdu {
  return { kind: 'inbound', from: '+447700900123', to, dataCoding: 0, text: 'STOP', ...(concat ? { concat } : {}) };
}

const TENANTS = [{ id: 'acme', numbers: ['+447700900000', '60100'], optOut: OptOutConfig.parse({}) }];

/** The handler with recording stand-ins: the receipt store answers `result`; the inbound store completes a message on its last part. */
function handlerWith(options: { result?: ReceiptResult; recordFails?: boolean; keywordFails?: boolean; recordedAlready?: boolean } = {}) {
  const applied: { carrierId: string; key: string; receipt: Receipt }[] = [];
  const malformed: { carrierId: string; reason: string; esmClass: number }[] = [];
  const parts: InboundPart[] = [];
  const claims: string[] = [];
  const recorded: StoredInbound[] = [];
  const keywords: { inboundId: string; tenantId: string; number: string }[] = [];
  const logs: { event: string; data: Record<string, unknown> }[] = [];
  const metrics = { count: vi.fn(), observe: vi.fn() };
  const onDeliver = deliverHandler(CARRIER, {
    delivery: {
      applyReceipt: async (carrierId, key, r) => {
        applied.push({ carrierId, key, receipt: r });
        return options.result ?? { outcome: 'pending' };
      },
      recordMalformed: async (carrierId, reason, esmClass) => void malformed.push({ carrierId, reason, esmClass }),
    },
    inbound: {
      addPart: async (part) => {
        parts.push(part);
        if (part.concat && part.concat.sequence < part.concat.total) return undefined;
        const message = { id: 'in-1', carrierId: part.carrierId, from: part.from, to: part.to, text: part.text, parts: parts.length, receivedAt: new Date(NOW).toISOString() };
        return { message, confirm: async () => void claims.push('confirmed'), release: async () => void claims.push('released') };
      },
      record: async (complete, tenantId) => {
        if (options.recordFails) throw Object.assign(new Error('table unavailable'), { name: 'InternalServerError' });
        const message = { ...complete.message, ...(tenantId !== undefined ? { tenantId } : {}) };
        if (options.recordedAlready) return { created: false, message };
        recorded.push(message);
        return { created: true, message };
      },
    },
    log: (event, data = {}) => logs.push({ event, data }),
    metrics,
    now: () => NOW,
    tenants: TENANTS,
    keywords: {
      handle: async (message, owner) => {
        if (options.keywordFails) throw Object.assign(new Error('opt-out store unavailable'), { name: 'InternalServerError' });
        keywords.push({ inboundId: message.id, tenantId: owner.tenant.id, number: owner.number });
        return { kind: 'stop', changed: true, replyId: 'reply-1' };
      },
    },
  });
  return { onDeliver, applied, malformed, parts, claims, recorded, keywords, logs, metrics };
}

describe('a receipt', () => {
  it('is applied under its SMSC id as the carrier formats it, and its message counted once with its latency', async () => {
    // Prepare
    const h = handlerWith({ result: { outcome: 'applied', messageId: 'm-1', status: 'DELIVERED', submittedAt: '2026-12-01T12:00:00.000Z' } });

    // Act
    await h.onDeliver(receipt({ smscId: ' 01234 ' }));

    // Assess
    expect(h.applied).toEqual([{ carrierId: 'sim-b', key: '1234', receipt: expect.objectContaining({ state: 'DELIVERED' }) }]);
    expect(h.metrics.count.mock.calls).toEqual([['sim-b', 'Delivered']]);
    expect(h.metrics.observe.mock.calls).toEqual([['sim-b', 'ReceiptLatency', 5_000]]);
    expect(h.logs).toEqual([{ event: 'RECEIPT_APPLIED', data: { carrierId: 'sim-b', smscId: '1234', state: 'DELIVERED', outcome: 'applied', messageId: 'm-1', status: 'DELIVERED', submittedAt: '2026-12-01T12:00:00.000Z' } }]);
  });

  it('that did not make its message final counts nothing', async () => {
    const h = handlerWith({ result: { outcome: 'applied', messageId: 'm-1' } });
    await h.onDeliver(receipt({ state: 'ENROUTE', final: false }));
    expect(h.metrics.count).not.toHaveBeenCalled();
  });

  it('with an SMSC id not known yet is logged as unmatched and counted', async () => {
    const h = handlerWith({ result: { outcome: 'pending' } });
    await h.onDeliver(receipt());
    expect(h.logs.map((l) => l.event)).toEqual(['RECEIPT_UNMATCHED']);
    expect(h.metrics.count.mock.calls).toEqual([['sim-b', 'UnmatchedReceipts']]);
  });
});

describe('an unreadable deliver_sm', () => {
  it('is recorded by its reason and esm_class only', async () => {
    const h = handlerWith();
    await h.onDeliver({ kind: 'malformed', reason: 'receipt without an id', esmClass: 4 });
    expect(h.malformed).toEqual([{ carrierId: 'sim-b', reason: 'receipt without an id', esmClass: 4 }]);
    expect(h.logs).toEqual([{ event: 'RECEIPT_MALFORMED', data: { carrierId: 'sim-b', reason: 'receipt without an id', esmClass: 4 } }]);
  });
});

describe('an inbound message', () => {
  it('is recorded once its last part is in, then its parts are confirmed', async () => {
    // Prepare
    const h = handlerWith();

    // Act
    await h.onDeliver(inboundPart({ reference: 7, total: 2, sequence: 1 }));
    await h.onDeliver(inboundPart({ reference: 7, total: 2, sequence: 2 }));

    // Assess
    expect(h.parts).toEqual([
      { carrierId: 'sim-b', from: '+447700900123', to: '447700900000', text: 'STOP', dataCoding: 0, concat: { reference: 7, total: 2, sequence: 1 } },
      { carrierId: 'sim-b', from: '+447700900123', to: '447700900000', text: 'STOP', dataCoding: 0, concat: { reference: 7, total: 2, sequence: 2 } },
    ]);
    expect(h.recorded).toEqual([{ tenantId: 'acme', id: 'in-1', carrierId: 'sim-b', from: '+447700900123', to: '447700900000', text: 'STOP', parts: 2, receivedAt: '2026-12-01T12:00:05.000Z' }]);
    expect(h.claims).toEqual(['confirmed']);
    expect(h.logs.map((l) => l.event)).toEqual(['INBOUND_PART_STORED', 'KEYWORD_HANDLED', 'INBOUND_RECORDED']);
  });

  it('to a tenant’s number has its keyword handled for that tenant and number, and is recorded with its tenant', async () => {
    const h = handlerWith();
    await h.onDeliver(inboundPart(undefined, '+60100'));
    expect(h.keywords).toEqual([{ inboundId: 'in-1', tenantId: 'acme', number: '60100' }]);
    expect(h.recorded.map((e) => e.tenantId)).toEqual(['acme']);
    expect(h.logs.find((l) => l.event === 'KEYWORD_HANDLED')?.data).toEqual({ carrierId: 'sim-b', tenantId: 'acme', inboundId: 'in-1', from: '+447700900123', kind: 'stop', changed: true, replyId: 'reply-1' });
    expect(h.metrics.count).not.toHaveBeenCalled();
  });

  it('to a number no tenant owns is recorded without a tenant, logged and counted, and no keyword is handled', async () => {
    const h = handlerWith();
    await h.onDeliver(inboundPart(undefined, '447700900999'));
    expect(h.recorded).toEqual([expect.not.objectContaining({ tenantId: expect.anything() })]);
    expect(h.recorded[0]).toMatchObject({ id: 'in-1', to: '447700900999' });
    expect(h.keywords).toEqual([]);
    expect(h.claims).toEqual(['confirmed']);
    expect(h.logs.find((l) => l.event === 'INBOUND_UNOWNED')?.data).toEqual({ carrierId: 'sim-b', inboundId: 'in-1', from: '+447700900123', to: '447700900999' });
    expect(h.metrics.count.mock.calls).toEqual([['sim-b', 'InboundUnowned']]);
  });

  it('that was recorded already (a resent deliver_sm) has its keyword handled again, idempotently, and is logged as a duplicate, not counted', async () => {
    const h = handlerWith({ recordedAlready: true });
    await h.onDeliver(inboundPart(undefined, '447700900999'));
    expect(h.logs.map((l) => l.event)).toEqual(['INBOUND_DUPLICATE']);
    expect(h.metrics.count).not.toHaveBeenCalled();
    expect(h.claims).toEqual(['confirmed']);
  });

  it('whose record fails releases its parts and fails, so deliver_sm goes unanswered and comes again', async () => {
    const h = handlerWith({ recordFails: true });
    await expect(h.onDeliver(inboundPart())).rejects.toThrow('table unavailable');
    expect(h.claims).toEqual(['released']);
    expect(h.keywords).toEqual([]);
    expect(h.logs).toEqual([]);
  });

  it('whose keyword cannot be applied releases its parts and fails, so the SMSC sends it again', async () => {
    const h = handlerWith({ keywordFails: true });
    await expect(h.onDeliver(inboundPart())).rejects.toThrow('opt-out store unavailable');
    expect(h.claims).toEqual(['released']);
    expect(h.logs).toEqual([]);
  });
});
