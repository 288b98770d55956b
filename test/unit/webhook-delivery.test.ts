/**
 * One attempt at one status event (deliverStatusEvent) with in-memory ports:
 * where it posts, and what each kind of failure means for the queue. The same
 * paths end to end, through the handler and a real receiver, are in
 * webhook-dispatcher.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { retryDelayBounds } from '../../core/domain/webhook';
import { deliverStatusEvent } from '../../core/webhook/deliver-status-event';
import { GroupBackoff } from '../../core/webhook/group-backoff';
import { InMemoryWebhookPorts, sqsRecord, statusEvent } from '../support/factories';

describe('deliverStatusEvent', () => {
  it('posts to the tenant’s default URL when the event has none, and reports the host only', async () => {
    // Prepare
    const ports = new InMemoryWebhookPorts();
    const event = statusEvent();
    // Act
    const result = await deliverStatusEvent(event, sqsRecord(JSON.stringify(event), 3), new GroupBackoff(), ports);
    // Assess
    expect(result).toEqual({ outcome: 'delivered', httpStatus: 204, host: 'hooks.acme.example', attempt: 3 });
    expect(ports.posted).toEqual([{ eventId: 'm1:3', url: 'https://hooks.acme.example/sms?token=t0ps3cret', secret: 'whsec_test_acme' }]);
  });

  it('posts to the message’s own callback URL when it has one, and to nobody when neither has one', async () => {
    const ports = new InMemoryWebhookPorts();
    const own = statusEvent({ callbackUrl: 'https://orders.example/hook' });
    const nobody = statusEvent({ tenantId: 'globex' });
    expect(await deliverStatusEvent(own, sqsRecord(JSON.stringify(own), 1), new GroupBackoff(), ports)).toMatchObject({ outcome: 'delivered', host: 'orders.example' });
    expect(await deliverStatusEvent(nobody, sqsRecord(JSON.stringify(nobody), 1), new GroupBackoff(), ports)).toEqual({ outcome: 'no-callback' });
    expect(ports.posted.map((p) => p.url)).toEqual(['https://orders.example/hook']);
  });

  it('hands a retryable failure back after the scheduled delay, scaled, and remembers that delay for the message’s group', async () => {
    // Prepare: a receiver that answers 503 once; a later event of the same message was skipped.
    const ports = new InMemoryWebhookPorts();
    ports.retryScale = 2;
    ports.answers.push({ ok: false, retryable: true, reason: 'HTTP 503' });
    const backoff = new GroupBackoff();
    const failed = sqsRecord(JSON.stringify(statusEvent()), 1, 'first', 'm1');
    const skipped = sqsRecord(JSON.stringify(statusEvent({ eventId: 'm1:4' })), 1, 'second', 'm1');
    // Act
    const result = await deliverStatusEvent(statusEvent(), failed, backoff, ports);
    await backoff.applyToFailed([failed, skipped], { batchItemFailures: [{ itemIdentifier: 'first' }, { itemIdentifier: 'second' }] }, ports.queue, () => undefined);
    // Assess
    expect(result).toMatchObject({ outcome: 'retry', reason: 'HTTP 503', attempt: 1 });
    const delay = result.outcome === 'retry' ? result.delaySeconds : NaN;
    const { min, max } = retryDelayBounds(1);
    expect(delay).toBeGreaterThanOrEqual(2 * min);
    expect(delay).toBeLessThanOrEqual(2 * max);
    expect(ports.retries).toContainEqual({ receiptHandle: 'rh-first-1', delaySeconds: delay });
    expect(ports.retries).toContainEqual({ receiptHandle: 'rh-second-1', delaySeconds: delay });
  });

  it('still retries when the backoff cannot be set, and says why', async () => {
    const ports = new InMemoryWebhookPorts();
    ports.answers.push({ ok: false, retryable: true, reason: 'timeout after 10000 ms' });
    ports.retryError = Object.assign(new Error('receipt handle expired'), { name: 'ReceiptHandleIsInvalid' });
    const result = await deliverStatusEvent(statusEvent(), sqsRecord('{}', 2), new GroupBackoff(), ports);
    expect(result).toMatchObject({ outcome: 'retry', reason: 'timeout after 10000 ms', visibilityError: ports.retryError });
  });

  it('dead-letters a failure that will not get better, with the reason, the event id and the attempts', async () => {
    // Prepare
    const ports = new InMemoryWebhookPorts();
    ports.answers.push({ ok: false, retryable: false, reason: 'HTTP 404' });
    const body = JSON.stringify(statusEvent());
    // Act
    const result = await deliverStatusEvent(statusEvent(), sqsRecord(body, 4), new GroupBackoff(), ports);
    // Assess
    expect(result).toEqual({ outcome: 'dead-lettered', reason: 'HTTP 404', host: 'hooks.acme.example', attempt: 4 });
    expect(ports.deadLetters).toEqual([{ body, letter: { reason: 'HTTP 404', eventId: 'm1:3', attempts: 4 } }]);
    expect(ports.retries).toEqual([]);
  });

  it('retries an event whose tenant has no signing secret, without posting it unsigned', async () => {
    const ports = new InMemoryWebhookPorts();
    ports.secrets.clear();
    const result = await deliverStatusEvent(statusEvent(), sqsRecord('{}', 1), new GroupBackoff(), ports);
    expect(result).toMatchObject({ outcome: 'retry', reason: 'no signing secret for tenant acme' });
    expect(ports.posted).toEqual([]);
  });

  it('fails the attempt without a backoff when the secret cannot be read, posting nothing', async () => {
    const ports = new InMemoryWebhookPorts();
    ports.secretError = Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' });
    const result = await deliverStatusEvent(statusEvent(), sqsRecord('{}', 1), new GroupBackoff(), ports);
    expect(result).toEqual({ outcome: 'secret-unreadable', error: ports.secretError });
    expect(ports.posted).toEqual([]);
    expect(ports.retries).toEqual([]);
  });
});
