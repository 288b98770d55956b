import { describe, expect, it } from 'vitest';
import { CarrierEnvelope, IngestEnvelope } from '../../core/domain/envelopes';
import { isFinal } from '../../core/domain/message';
import { planOutbox } from '../../core/domain/outbox';
import { MessageMissingError, routeMessage } from '../../core/domain/route-message';
import { RoutingTable } from '../../core/domain/routing';
import { defaultRoute, failoverRoute, ingestEnvelope, InMemoryRouterPorts, messageRecord, MOBILE, NOW, staticRoute } from '../support/factories';

const table = new RoutingTable([
  failoverRoute('uk', ['c-a', 'c-b'], { prefix: ['+447'] }),
  staticRoute('de', 'c-b', { country: ['DE'] }),
  defaultRoute('rest', 'c-a'),
]);

/** A table without default: only UK mobiles have a route. */
const ukOnly = new RoutingTable([failoverRoute('uk', ['c-a', 'c-b'], { prefix: ['+447'] })]);

describe('routeMessage', () => {
  it('claims the attempt (ROUTED) and enqueues the message once for the chosen carrier', async () => {
    // Prepare
    const record = messageRecord({ from: 'ACME' });
    const ports = new InMemoryRouterPorts(record);
    // Act
    const outcome = await routeMessage(ingestEnvelope(record), table, ports);
    // Assess
    expect(outcome).toEqual({ outcome: 'routed', carrierId: 'c-a', routeId: 'uk', redelivered: false });
    expect(ports.enqueued).toEqual([
      {
        v: 1,
        messageId: record.id,
        tenantId: 'acme',
        attempt: 1,
        carrierId: 'c-a',
        to: record.to,
        from: 'ACME',
        text: record.text,
        encoding: 'GSM7',
        segments: 1,
        validUntil: record.validUntil,
      },
    ]);
    expect(CarrierEnvelope.safeParse(ports.enqueued[0]).success).toBe(true);
    const stored = ports.record(record.id)!;
    expect(stored).toMatchObject({ status: 'ROUTED', attempt: 1, carrierId: 'c-a' });
    expect(stored.history.at(-1)).toMatchObject({ status: 'ROUTED', carrierId: 'c-a', attempt: 1, reason: 'route "uk" matched prefix +447; first carrier healthy' });
  });

  it('fails over when the first carrier is unhealthy', async () => {
    // Prepare
    const record = messageRecord();
    const ports = new InMemoryRouterPorts(record);
    ports.down.add('c-a');
    // Act
    const outcome = await routeMessage(ingestEnvelope(record), table, ports);
    // Assess
    expect(outcome).toMatchObject({ outcome: 'routed', carrierId: 'c-b' });
    expect(ports.enqueued.map((e) => e.carrierId)).toEqual(['c-b']);
  });

  it('a redelivered envelope after ROUTED re-sends the identical envelope, so the FIFO queue deduplicates it', async () => {
    // Prepare: the first run claimed and sent; then the carrier's health changed.
    const record = messageRecord();
    const ports = new InMemoryRouterPorts(record);
    const envelope = ingestEnvelope(record);
    await routeMessage(envelope, table, ports);
    ports.down.add('c-a');
    // Act
    const outcome = await routeMessage(envelope, table, ports);
    // Assess: same carrier as the claim, same content, same dedupe key (messageId#attempt).
    expect(outcome).toEqual({ outcome: 'routed', carrierId: 'c-a', redelivered: true });
    expect(ports.enqueued).toHaveLength(2);
    expect(ports.enqueued[1]).toEqual(ports.enqueued[0]);
    expect(ports.record(record.id)!.history.filter((h) => h.status === 'ROUTED')).toHaveLength(1);
  });

  // BUG core/domain/route-message.ts (routeMessage, the expiry branch at the top): a
  // redelivered envelope whose attempt was already claimed (ROUTED, attempt n) but
  // never sent — the first run died or the SQS send failed — is checked for expiry
  // first, with expectedAttempt n-1. Once validUntil has passed, that EXPIRED write
  // cannot apply (the record's attempt is n), the result is "skipped", and the
  // message is neither re-sent nor expired: it stays ROUTED for good, with no final
  // status and no callback. Nothing else (worker, sweeper) moves a ROUTED message
  // that never reached a carrier queue.
  it('a claimed but unsent message redelivered after validUntil still ends final (or is re-sent)', async () => {
    // Prepare: the first run claimed attempt 1 and died before enqueueing.
    const record = messageRecord({ validUntil: new Date(NOW.getTime() + 30_000).toISOString() });
    const ports = new InMemoryRouterPorts(record);
    const envelope = ingestEnvelope(record);
    await ports.transition(record.id, 'ROUTED', { carrierId: 'c-a', attempt: 1, expectedAttempt: 0 });
    ports.clock = new Date(NOW.getTime() + 60_000);
    // Act
    await routeMessage(envelope, table, ports);
    // Assess
    const status = ports.record(record.id)!.status;
    expect(isFinal(status) || ports.enqueued.length === 1, `status ${status}, ${ports.enqueued.length} enqueued`).toBe(true);
  });

  it('a redelivered envelope for a message already SUBMITTED is skipped and not enqueued', async () => {
    // Prepare
    const record = messageRecord({ status: 'SUBMITTED', attempt: 1, carrierId: 'c-a' });
    const ports = new InMemoryRouterPorts(record);
    // Act
    const outcome = await routeMessage(ingestEnvelope(record), table, ports);
    // Assess
    expect(outcome).toEqual({ outcome: 'skipped', status: 'SUBMITTED' });
    expect(ports.enqueued).toEqual([]);
    expect(ports.record(record.id)).toEqual(record);
  });

  it.each(['DELIVERED', 'CANCELED', 'FAILED'] as const)('a message already %s is skipped and not enqueued', async (status) => {
    const record = messageRecord({ status, attempt: 1 });
    const ports = new InMemoryRouterPorts(record);
    expect(await routeMessage(ingestEnvelope(record), table, ports)).toEqual({ outcome: 'skipped', status });
    expect(ports.enqueued).toEqual([]);
  });

  it('routes the next attempt of a RETRYING message, and a stale envelope of the previous attempt changes nothing', async () => {
    // Prepare
    const record = messageRecord({ status: 'RETRYING', attempt: 1, carrierId: 'c-a' });
    const ports = new InMemoryRouterPorts(record);
    // Act
    const stale = await routeMessage(ingestEnvelope(record, { attempt: 1 }), table, ports);
    const next = await routeMessage(ingestEnvelope(record, { attempt: 2 }), table, ports);
    // Assess
    expect(stale).toEqual({ outcome: 'skipped', status: 'RETRYING' });
    expect(next).toMatchObject({ outcome: 'routed', redelivered: false });
    expect(ports.enqueued.map((e) => e.attempt)).toEqual([2]);
    expect(ports.record(record.id)).toMatchObject({ status: 'ROUTED', attempt: 2 });
  });

  it('no route → REJECTED with reason no_route, nothing enqueued', async () => {
    // Prepare
    const record = messageRecord({ to: MOBILE.US, country: 'US' });
    const ports = new InMemoryRouterPorts(record);
    // Act
    const outcome = await routeMessage(ingestEnvelope(record), ukOnly, ports);
    // Assess
    expect(outcome).toEqual({ outcome: 'rejected', reason: 'no_route' });
    expect(ports.enqueued).toEqual([]);
    expect(ports.record(record.id)).toMatchObject({ status: 'REJECTED', reason: 'no_route' });
  });

  it('an elapsed validUntil → EXPIRED, not routed', async () => {
    // Prepare
    const record = messageRecord({ validUntil: new Date(NOW.getTime() - 1000).toISOString() });
    const ports = new InMemoryRouterPorts(record);
    // Act
    const outcome = await routeMessage(ingestEnvelope(record), table, ports);
    // Assess
    expect(outcome).toEqual({ outcome: 'expired' });
    expect(ports.enqueued).toEqual([]);
    expect(ports.record(record.id)).toMatchObject({ status: 'EXPIRED', reason: 'validity_elapsed' });
  });

  it('a message valid until exactly now is still routed', async () => {
    const record = messageRecord({ validUntil: NOW.toISOString() });
    const ports = new InMemoryRouterPorts(record);
    expect(await routeMessage(ingestEnvelope(record), table, ports)).toMatchObject({ outcome: 'routed' });
  });

  it('a missing record → MessageMissingError naming the message', async () => {
    // Prepare
    const record = messageRecord();
    const ports = new InMemoryRouterPorts();
    // Act
    const result = routeMessage(ingestEnvelope(record), table, ports);
    // Assess
    await expect(result).rejects.toBeInstanceOf(MessageMissingError);
    await expect(routeMessage(ingestEnvelope(record), table, ports)).rejects.toThrow(`message ${record.id} is not in the table`);
    expect(ports.enqueued).toEqual([]);
  });

  it('a missing record is MessageMissingError on the no-route and expiry paths too', async () => {
    const record = messageRecord({ to: MOBILE.US, country: 'US' });
    await expect(routeMessage(ingestEnvelope(record), ukOnly, new InMemoryRouterPorts())).rejects.toBeInstanceOf(MessageMissingError);
    const expired = messageRecord({ validUntil: new Date(NOW.getTime() - 1).toISOString() });
    await expect(routeMessage(ingestEnvelope(expired), table, new InMemoryRouterPorts())).rejects.toBeInstanceOf(MessageMissingError);
  });
});

describe('routeMessage — a scheduled message at its time', () => {
  const scheduled = () => messageRecord({ status: 'SCHEDULED', sendAt: NOW.toISOString(), history: [{ status: 'ACCEPTED', at: NOW.toISOString() }, { status: 'SCHEDULED', at: NOW.toISOString() }] });

  it('claims attempt 1 with SCHEDULED → ROUTED and hands it to the carrier, its deadline now the end of validity', async () => {
    // Prepare
    const record = scheduled();
    const ports = new InMemoryRouterPorts(record);
    // Act
    const outcome = await routeMessage(ingestEnvelope(record), table, ports);
    // Assess
    expect(outcome).toEqual({ outcome: 'routed', carrierId: 'c-a', routeId: 'uk', redelivered: false });
    expect(ports.record(record.id)).toMatchObject({ status: 'ROUTED', attempt: 1, dueAt: record.validUntil, sendAt: record.sendAt });
    expect(ports.enqueued.map((e) => [e.messageId, e.attempt])).toEqual([[record.id, 1]]);
  });

  it('routes it once when two sweeps enqueued it: the second envelope re-sends the same attempt, which the FIFO queue drops', async () => {
    // Prepare
    const record = scheduled();
    const ports = new InMemoryRouterPorts(record);
    // Act
    await routeMessage(ingestEnvelope(record), table, ports);
    const again = await routeMessage(ingestEnvelope(record), table, ports);
    // Assess
    expect(again).toMatchObject({ outcome: 'routed', redelivered: true });
    expect(ports.record(record.id)!.history.filter((h) => h.status === 'ROUTED')).toHaveLength(1);
    expect(new Set(ports.enqueued.map((e) => `${e.messageId}#${e.attempt}`)).size).toBe(1);
  });

  it('never routes a schedule canceled after the sweeper enqueued it', async () => {
    // Prepare
    const record = messageRecord({ ...scheduled(), status: 'CANCELED' });
    const ports = new InMemoryRouterPorts(record);
    // Act
    const outcome = await routeMessage(ingestEnvelope(record), table, ports);
    // Assess
    expect(outcome).toEqual({ outcome: 'skipped', status: 'CANCELED' });
    expect(ports.enqueued).toEqual([]);
  });

  it('rejects it no_route when no route takes it at its time', async () => {
    // Prepare
    const record = messageRecord({ ...scheduled(), to: MOBILE.DE, country: 'DE' });
    const ports = new InMemoryRouterPorts(record);
    // Act
    const outcome = await routeMessage(ingestEnvelope(record), ukOnly, ports);
    // Assess
    expect(outcome).toEqual({ outcome: 'rejected', reason: 'no_route' });
    expect(ports.record(record.id)!.status).toBe('REJECTED');
  });
});

describe('planOutbox', () => {
  const image = {
    kind: 'message',
    id: 'b1c7e0a2-3d4f-8a6b-9c8d-0e1f2a3b4c5d',
    tenantId: 'acme',
    status: 'ACCEPTED',
    to: MOBILE.DE,
    country: 'DE',
    from: 'ACME',
    type: 'transactional',
    text: 'never in the envelope',
    validUntil: '2025-03-02T12:00:00.000Z',
  };

  it('an INSERT of an ACCEPTED message becomes the first ingest envelope (no text), for the router', () => {
    // Act
    const send = planOutbox('INSERT', undefined, image);
    // Assess
    expect(send?.queue).toBe('ingest');
    const envelope = send?.envelope;
    expect(envelope).toEqual({
      v: 1,
      messageId: image.id,
      tenantId: 'acme',
      attempt: 1,
      to: MOBILE.DE,
      country: 'DE',
      from: 'ACME',
      type: 'transactional',
      validUntil: image.validUntil,
    });
    expect(IngestEnvelope.safeParse(envelope).success).toBe(true);
  });

  it('leaves out the optional fields the record does not have', () => {
    const { country: _c, from: _f, ...bare } = image;
    const envelope = planOutbox('INSERT', undefined, bare)?.envelope;
    expect(envelope).toBeDefined();
    expect(envelope).not.toHaveProperty('country');
    expect(envelope).not.toHaveProperty('from');
  });

  it('an INSERT of a message the API routed becomes the carrier envelope the router would have sent', async () => {
    // Prepare: the router routes a record; the API stores the same record ROUTED, whose INSERT the stream carries
    const record = messageRecord({ from: 'ACME' });
    const ports = new InMemoryRouterPorts(record);
    await routeMessage(ingestEnvelope(record), table, ports);
    const routed = ports.record(record.id)!;
    // Act
    const send = planOutbox('INSERT', undefined, { pk: `MSG#${record.id}`, sk: 'MSG', kind: 'message', ...routed });
    // Assess: the same envelope, for the same carrier's queue (and so the same deduplication id, <id>#1)
    expect(send).toEqual({ queue: 'carrier', envelope: ports.enqueued[0] });
    expect(CarrierEnvelope.safeParse(send?.envelope).success).toBe(true);
  });

  it('a retry timer\'s removal becomes the ingest envelope of its attempt', () => {
    const timer = { kind: 'retry-timer', messageId: image.id, nextAttempt: 3, tenantId: 'acme', to: MOBILE.DE, type: 'transactional', validUntil: image.validUntil };
    expect(planOutbox('REMOVE', timer, undefined)).toEqual({ queue: 'ingest', envelope: { v: 1, messageId: image.id, attempt: 3, tenantId: 'acme', to: MOBILE.DE, type: 'transactional', validUntil: image.validUntil } });
  });

  it('an INSERT of a SCHEDULED message sends nothing: the sweeper hands it to the router at its sendAt', () => {
    expect(planOutbox('INSERT', undefined, { ...image, status: 'SCHEDULED', sendAt: '2025-03-01T18:00:00.000Z' })).toBeUndefined();
  });

  it('refuses a ROUTED record without a carrier instead of enqueueing it nowhere', () => {
    expect(() => planOutbox('INSERT', undefined, { ...image, status: 'ROUTED', attempt: 1, text: 'hi', encoding: 'GSM7', segments: 1 })).toThrow();
  });

  it.each([
    { name: 'MODIFY', eventName: 'MODIFY', oldImage: image, newImage: { ...image, status: 'ROUTED' } },
    { name: 'MODIFY that leaves status ACCEPTED', eventName: 'MODIFY', oldImage: image, newImage: image },
    { name: 'REMOVE', eventName: 'REMOVE', oldImage: image, newImage: undefined },
    { name: 'INSERT of another item kind', eventName: 'INSERT', oldImage: undefined, newImage: { ...image, kind: 'heartbeat' } },
    { name: 'INSERT of a message neither ACCEPTED nor ROUTED', eventName: 'INSERT', oldImage: undefined, newImage: { ...image, status: 'SUBMITTED' } },
    { name: 'INSERT without image', eventName: 'INSERT', oldImage: undefined, newImage: undefined },
    { name: 'no event name', eventName: undefined, oldImage: undefined, newImage: image },
  ])('$name → nothing to enqueue', ({ eventName, oldImage, newImage }) => {
    expect(planOutbox(eventName, oldImage, newImage)).toBeUndefined();
  });

  it('refuses a malformed ACCEPTED record instead of enqueueing it', () => {
    expect(() => planOutbox('INSERT', undefined, { ...image, validUntil: 'tomorrow' })).toThrow();
  });
});
