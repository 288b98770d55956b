/**
 * Scheduled send and quiet hours on the emulator, with the SMSC simulators and the worker: a
 * message with a sendAt two minutes ahead waits SCHEDULED and is routed after its sendAt, not
 * before; a canceled one is never sent; tenant wayne's quiet hours (00:00-23:59, config/local.yaml)
 * defer its promotional messages by the real clock. The stack's own every-minute sweep runs too
 * (MiniStack fires EventBridge rules); the test sweeps as well, and either one may route a due
 * message: what is asserted holds for both.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { quietHoursEnd, zonesOf } from '../../core/domain/quiet-hours';
import { http, ukMobile, useLocalAws } from '../support/local';
import { smscAddress, startHarness, sweep, untilStatus, type Harness } from '../support/worker-harness';

const WAYNE_KEY = 'dev-wayne-key-0123456789';
const WAYNE_QUIET_HOURS = { start: '00:00', end: '23:59' };

let h: Harness;
/** The message scheduled two minutes ahead, and the one scheduled as far and canceled at once. */
const scheduled = { id: '', to: ukMobile(), sendAt: '' };
const canceled = { id: '', to: ukMobile(), sendAt: '' };
/** Scheduled as far, and its recipient opts out of acme before its sendAt. */
const stopped = { id: '', to: ukMobile(), sendAt: '' };
const optOutPath = () => `/v1/opt-outs/${encodeURIComponent(stopped.to)}`;

const submitted = (to: string) => [...h.simA.submits(), ...h.simB.submits()].filter((s) => s.destination === smscAddress(to));

beforeAll(async () => {
  useLocalAws();
  h = await startHarness(50);
  const sendAt = new Date(Date.now() + 120_000).toISOString();
  for (const m of [scheduled, canceled, stopped]) {
    const res = await http('POST', '/v1/messages', { body: { to: m.to, text: 'your appointment is at 10', sendAt } });
    expect(res.status, res.text).toBe(202);
    expect(res.body).toMatchObject({ status: 'SCHEDULED', sendAt });
    Object.assign(m, { id: res.body.id, sendAt });
  }
  const res = await http('DELETE', `/v1/messages/${canceled.id}`);
  expect(res.body).toMatchObject({ status: 'CANCELED', sendAt });
  expect((await http('PUT', optOutPath())).status).toBe(201);
}, 60_000);

afterAll(async () => {
  await http('DELETE', optOutPath());
  await h?.stop();
});

describe('scheduled send', () => {
  it('keeps a message with sendAt two minutes ahead SCHEDULED until then, and delivers it after its sendAt, not before', async () => {
    // Assess: before its sendAt it waits, and a sweep does not route it
    await sweep();
    const waiting = await http('GET', `/v1/messages/${scheduled.id}`);
    expect(Date.now()).toBeLessThan(Date.parse(scheduled.sendAt));
    expect(waiting.body).toMatchObject({ status: 'SCHEDULED', sendAt: scheduled.sendAt, attempt: 0 });
    expect(Date.parse(waiting.body.validUntil) - Date.parse(scheduled.sendAt)).toBe(86_400_000);
    expect(submitted(scheduled.to)).toEqual([]);
    // Act: wait past its sendAt, sweeping as the stack's schedule does (more often)
    const delivered = await untilStatus(scheduled.id, ['DELIVERED'], { timeoutMs: 240_000, sweepEveryMs: 10_000 });
    // Assess: routed at or after its sendAt, within a sweep's period of it, and submitted once
    const routed = delivered.history.find((e: { status: string }) => e.status === 'ROUTED');
    expect(Date.parse(routed.at)).toBeGreaterThanOrEqual(Date.parse(scheduled.sendAt));
    expect(Date.parse(routed.at) - Date.parse(scheduled.sendAt)).toBeLessThan(60_000);
    expect(delivered.history.map((e: { status: string }) => e.status)).toEqual(['ACCEPTED', 'SCHEDULED', 'ROUTED', 'SUBMITTED', 'DELIVERED']);
    expect(submitted(scheduled.to)).toHaveLength(1);
  }, 300_000);

  it('never sends a schedule canceled before its sendAt, however many sweeps pass it', async () => {
    // Prepare: its sendAt has passed (the test above waited for it)
    expect(Date.now()).toBeGreaterThan(Date.parse(canceled.sendAt));
    // Act
    await sweep();
    await sweep();
    // Assess
    const res = await http('GET', `/v1/messages/${canceled.id}`);
    expect(res.body).toMatchObject({ status: 'CANCELED', reason: 'canceled_by_client' });
    expect(res.body.history.map((e: { status: string }) => e.status)).toEqual(['ACCEPTED', 'SCHEDULED', 'CANCELED']);
    expect(submitted(canceled.to)).toEqual([]);
  });

  it('rejects a schedule whose recipient opted out after its acceptance, opted_out, at its sendAt, and never sends it', async () => {
    // Prepare: its sendAt has passed (the first test waited for it)
    expect(Date.now()).toBeGreaterThan(Date.parse(stopped.sendAt));
    // Act
    await sweep();
    const message = await untilStatus(stopped.id, ['REJECTED'], { sweepEveryMs: 5_000 });
    // Assess
    expect(message.reason).toBe('opted_out');
    expect(message.history.map((e: { status: string }) => e.status)).toEqual(['ACCEPTED', 'SCHEDULED', 'REJECTED']);
    expect(submitted(stopped.to)).toEqual([]);
  });

  it('refuses a sendAt less than a minute ahead with 422 naming the field', async () => {
    const res = await http('POST', '/v1/messages', { body: { to: ukMobile(), text: 'too soon', sendAt: new Date(Date.now() + 5_000).toISOString() } });
    expect(res.status).toBe(422);
    expect(res.body.errors).toEqual([{ field: 'sendAt', problem: expect.stringContaining('at least 60 seconds ahead') }]);
  });
});

describe('quiet hours', () => {
  it('defers a promotional message of a tenant in quiet hours to their end at the destination (SCHEDULED, quiet_hours), and sends a transactional one', async () => {
    // Prepare: by the real clock, where the window ends in London from now
    const before = new Date();
    const expected = quietHoursEnd(WAYNE_QUIET_HOURS, zonesOf('GB'), before);
    // Act
    const promotional = await http('POST', '/v1/messages', { key: WAYNE_KEY, body: { to: ukMobile(), text: 'spring sale', type: 'promotional' } });
    const transactional = await http('POST', '/v1/messages', { key: WAYNE_KEY, body: { to: ukMobile(), text: 'your code', type: 'transactional' } });
    // Assess
    expect(promotional.status, promotional.text).toBe(202);
    // Only in the last minute of a London day is the clock outside this window: then it is sent at once.
    const deferral = expected ? { status: 'SCHEDULED', reason: 'quiet_hours', sendAt: expected.toISOString() } : { status: 'ACCEPTED' };
    expect(promotional.body).toMatchObject(deferral);
    const read = await http('GET', `/v1/messages/${promotional.body.id}`, { key: WAYNE_KEY });
    expect(read.body).toMatchObject(expected ? deferral : {});
    expect(transactional.body.status).toBe('ACCEPTED');
    await untilStatus(transactional.body.id, ['DELIVERED'], { key: WAYNE_KEY });
    // Clean up: a deferred one is canceled, so nothing is sent at 23:59.
    if (expected) expect((await http('DELETE', `/v1/messages/${promotional.body.id}`, { key: WAYNE_KEY })).body.status).toBe('CANCELED');
  });
});
