/**
 * The worker's keyword handling (worker/keyword-handler.ts), with recording stand-ins for the
 * opt-out store and the message table: a stop records the opt-out (tenant-wide, or of the number
 * written to with scope sender), a start removes it, help changes nothing; each stores one reply
 * record, ACCEPTED from the tenant's number to the sender, under an id the inbound id decides.
 */
import { describe, expect, it } from 'vitest';
import type { InboundMessage } from '../../core/aws/inbound-store';
import { OptOutConfig } from '../../core/config/schema';
import type { MessageRecord } from '../../core/domain/message';
import { defaultReply } from '../../core/domain/opt-out-keywords';
import type { PricesConfig } from '../../core/config/schema';
import { internationalNumber, KeywordHandler, replyId } from '../../worker/keyword-handler';

const NOW = new Date('2026-12-01T12:00:00.000Z');

function inbound(text: string, overrides: Partial<InboundMessage> = {}): InboundMessage {
  return { id: 'in-1', carrierId: 'sim-a', from: '+447700900123', to: '447700900000', text, parts: 1, receivedAt: NOW.toISOString(), ...overrides };
}

function handlerWith(options: { optedOut?: boolean; scope?: 'tenant' | 'sender'; prices?: PricesConfig } = {}) {
  const calls: { op: string; tenantId: string; args: Record<string, unknown> }[] = [];
  const records: MessageRecord[] = [];
  const handler = new KeywordHandler({
    optOuts: {
      optOut: async (tenantId, o) => {
        calls.push({ op: 'optOut', tenantId, args: o });
        return { created: !options.optedOut };
      },
      remove: async (tenantId, o) => {
        calls.push({ op: 'remove', tenantId, args: o });
        return { removed: options.optedOut ?? false };
      },
    },
    messages: {
      create: async (record) => {
        const existing = records.find((r) => r.id === record.id);
        if (existing) return { created: false, existing };
        records.push(record);
        return { created: true };
      },
    },
    replyValiditySeconds: 3600,
    prices: options.prices,
    now: () => NOW,
  });
  const tenant = { id: 'acme', numbers: ['+447700900000', '60100'], optOut: OptOutConfig.parse({ scope: options.scope ?? 'tenant', stopKeywords: ['ARRET'] }) };
  return { handler, calls, records, owner: (number = '+447700900000') => ({ tenant, number }) };
}

describe('a reply under a price table', () => {
  it('is priced like a message the API could not route at acceptance: segments × its country’s rate', async () => {
    const h = handlerWith({ prices: { currency: 'EUR', perSegment: { default: 0.05, GB: 0.04 } } });
    await h.handler.handle(inbound('STOP', { from: '+447400123456' }), h.owner());
    await h.handler.handle(inbound('STOP', { id: 'in-2', from: '+4915123456789' }), h.owner());
    expect(h.records.map((r) => [r.to, r.country, r.segments, r.price, r.currency])).toEqual([
      ['+447400123456', 'GB', 1, 0.04, 'EUR'],
      ['+4915123456789', 'DE', 1, 0.05, 'EUR'],
    ]);
  });
});

describe('a stop keyword', () => {
  it('records the tenant’s opt-out of the sender, with the keyword as sent, and stores its confirmation', async () => {
    // Prepare
    const h = handlerWith();

    // Act
    const outcome = await h.handler.handle(inbound(' Stop! '), h.owner());

    // Assess
    expect(h.calls).toEqual([{ op: 'optOut', tenantId: 'acme', args: { number: '+447700900123', source: 'keyword', keyword: 'Stop!', at: NOW } }]);
    expect(outcome).toEqual({ kind: 'stop', changed: true, replyId: replyId('acme', 'in-1') });
    expect(h.records).toEqual([
      {
        id: replyId('acme', 'in-1'),
        tenantId: 'acme',
        status: 'ACCEPTED',
        to: '+447700900123',
        from: '+447700900000',
        text: defaultReply('stop', 'acme', 'tenant'),
        type: 'transactional',
        encoding: 'GSM7',
        segments: 1,
        validUntil: '2026-12-01T13:00:00.000Z',
        createdAt: NOW.toISOString(),
        updatedAt: NOW.toISOString(),
        attempt: 0,
        history: [{ status: 'ACCEPTED', at: NOW.toISOString() }],
      },
    ]);
  });

  it('with scope sender covers only the number written to, as the config writes it', async () => {
    const h = handlerWith({ scope: 'sender' });
    await h.handler.handle(inbound('ARRET', { to: '+60100' }), h.owner('60100'));
    expect(h.calls).toEqual([{ op: 'optOut', tenantId: 'acme', args: expect.objectContaining({ number: '+447700900123', sender: '60100', keyword: 'ARRET' }) }]);
    expect(h.records[0]).toMatchObject({ from: '60100', text: defaultReply('stop', 'acme', 'sender') });
  });

  it('from a number opted out already changes nothing but is confirmed again', async () => {
    const h = handlerWith({ optedOut: true });
    const outcome = await h.handler.handle(inbound('STOP'), h.owner());
    expect(outcome).toMatchObject({ kind: 'stop', changed: false });
    expect(h.records).toHaveLength(1);
  });

  it('handled twice (the SMSC sent it again) stores one reply', async () => {
    const h = handlerWith();
    const first = await h.handler.handle(inbound('STOP'), h.owner());
    const second = await h.handler.handle(inbound('STOP'), h.owner());
    expect(second).toMatchObject({ replyId: (first as { replyId: string }).replyId });
    expect(h.records).toHaveLength(1);
  });
});

describe('a start keyword', () => {
  it('removes the opt-out and stores its confirmation', async () => {
    const h = handlerWith({ optedOut: true });
    const outcome = await h.handler.handle(inbound('start'), h.owner());
    expect(h.calls).toEqual([{ op: 'remove', tenantId: 'acme', args: { number: '+447700900123', at: NOW } }]);
    expect(outcome).toMatchObject({ kind: 'start', changed: true });
    expect(h.records[0]).toMatchObject({ to: '+447700900123', text: defaultReply('start', 'acme', 'tenant') });
  });
});

describe('a help keyword', () => {
  it('changes nothing and stores the help text', async () => {
    const h = handlerWith();
    const outcome = await h.handler.handle(inbound('HELP'), h.owner());
    expect(h.calls).toEqual([]);
    expect(outcome).toMatchObject({ kind: 'help', changed: false });
    expect(h.records[0]).toMatchObject({ text: defaultReply('help', 'acme', 'tenant') });
  });
});

describe('a message that is no keyword', () => {
  it('changes nothing and gets no reply', async () => {
    const h = handlerWith();
    expect(await h.handler.handle(inbound('Stop sending me these'), h.owner())).toBeUndefined();
    expect(h.calls).toEqual([]);
    expect(h.records).toEqual([]);
  });
});

describe('a keyword from a sender that is no international number', () => {
  it.each([['07700900123'], ['ACME'], ['12345']])('from %j changes nothing and gets no reply', async (from) => {
    const h = handlerWith();
    expect(await h.handler.handle(inbound('STOP', { from }), h.owner())).toEqual({ kind: 'stop', notApplied: 'sender_not_international' });
    expect(h.calls).toEqual([]);
    expect(h.records).toEqual([]);
  });
});

describe('the sender’s international number', () => {
  it('is the "+" form, or the "00" form with "+"', () => {
    expect(internationalNumber('+447700900123')).toBe('+447700900123');
    expect(internationalNumber('00447700900123')).toBe('+447700900123');
    expect(internationalNumber('447700900123')).toBeUndefined();
  });
});
