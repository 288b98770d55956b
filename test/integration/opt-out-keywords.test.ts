/**
 * Opt-out keywords end to end, on the emulator with the SMSC simulators and the worker: a
 * handset's STOP to a number acme owns records acme's opt-out and is confirmed by a reply that
 * reaches the SMSC as a submit_sm (an ordinary message, DELIVERED in the API); START removes
 * the opt-out and is confirmed; HELP gets the help text. A message to a number nobody owns is
 * kept and flagged.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OptOutStore } from '../../core/aws/opt-out-store';
import { decodeGsm7 } from '../../core/domain/encoding';
import { defaultReply, type KeywordKind } from '../../core/domain/opt-out-keywords';
import { clients, http, outputs, useLocalAws } from '../support/local';
import { smscAddress, startHarness, untilStatus, type Harness } from '../support/worker-harness';

const HANDSET = '+447700900123';
/** acme's long code in config/local.yaml, as an SMSC writes a destination: digits, TON 1. */
const ACME_NUMBER = '447700900000';
const GLOBEX_KEY = 'dev-globex-key-0123456789';
const OPT_OUT_PATH = `/v1/opt-outs/${encodeURIComponent(HANDSET)}`;

/** A message to the handset through the API (acme's key unless another is given); resolves with its id once it is final. */
async function messageToHandset(key?: string): Promise<any> {
  const res = await http('POST', '/v1/messages', { body: { to: HANDSET, text: 'Your code is 123456' }, ...(key ? { key } : {}) });
  expect(res.status).toBe(202);
  return untilStatus(res.body.id, ['DELIVERED', 'REJECTED', 'UNDELIVERED', 'FAILED'], key ? { key } : {});
}

let h: Harness;
let optOuts: OptOutStore;

beforeAll(async () => {
  useLocalAws();
  h = await startHarness(50);
  optOuts = new OptOutStore(outputs().tableName, clients().dynamo);
  // A run that stopped half-way may have left the handset opted out.
  await optOuts.remove('acme', { number: HANDSET, at: new Date() });
}, 60_000);

afterAll(async () => {
  await h?.stop();
});

/** Sends the keyword from the handset to acme's number; resolves with its reply's id once the reply is DELIVERED, and the submit_sm that carried it. */
async function keyword(text: string, kind: KeywordKind): Promise<{ replyId: string; submitted: string }> {
  const before = h.logs.length;
  // The worker answers deliver_sm once the keyword is applied and its reply stored.
  expect(await h.simA.sendInbound({ from: smscAddress(HANDSET), to: ACME_NUMBER, text })).toEqual([0]);
  const handled = h.logs.slice(before).find((l) => l.event === 'KEYWORD_HANDLED');
  expect(handled?.data).toMatchObject({ tenantId: 'acme', kind });
  const replyId = String(handled!.data.replyId);
  const reply = await untilStatus(replyId, ['DELIVERED']);
  expect(reply).toMatchObject({ from: `+${ACME_NUMBER}`, to: HANDSET, type: 'transactional' });
  const submit = h.simA.submits().find((s) => s.destination === smscAddress(HANDSET) && s.source === ACME_NUMBER && s.smscId === reply.smscIds[0]);
  return { replyId, submitted: decodeGsm7(submit!.shortMessage) };
}

describe('opt-out keywords', () => {
  it('STOP records acme’s opt-out and its confirmation reaches the SMSC; START removes it and is confirmed', async () => {
    // Act: a handset sends "Stop" to a number acme owns.
    const stop = await keyword('Stop', 'stop');

    // Assess: acme's opt-out of the handset, and only acme's; the confirmation went out as a submit_sm.
    expect(await optOuts.get('acme', HANDSET)).toMatchObject({ number: HANDSET, source: 'keyword', keyword: 'Stop' });
    expect(await optOuts.get('globex', HANDSET)).toBeUndefined();
    expect(stop.submitted).toBe(defaultReply('stop', 'acme', 'tenant'));
    // The API shows acme the opt-out, and globex none.
    const shown = await http('GET', OPT_OUT_PATH);
    expect([shown.status, shown.body]).toEqual([200, { number: HANDSET, optedOutAt: expect.any(String), source: 'keyword', keyword: 'Stop' }]);
    expect((await http('GET', OPT_OUT_PATH, { key: GLOBEX_KEY })).status).toBe(404);
    // acme's next message to the handset ends REJECTED opted_out, never submitted; globex's is DELIVERED.
    const submitsBefore = h.simA.submits().length + h.simB.submits().length;
    const [stopped, globex] = await Promise.all([messageToHandset(), messageToHandset(GLOBEX_KEY)]);
    expect([stopped.status, stopped.reason, stopped.smscIds]).toEqual(['REJECTED', 'opted_out', undefined]);
    expect(globex.status).toBe('DELIVERED');
    expect(h.simA.submits().length + h.simB.submits().length - submitsBefore).toBe(1);

    // Act: the handset sends START.
    const start = await keyword('START', 'start');

    // Assess
    expect(await optOuts.get('acme', HANDSET)).toBeUndefined();
    expect(start.submitted).toBe(defaultReply('start', 'acme', 'tenant'));
    expect(start.replyId).not.toBe(stop.replyId);
    expect((await http('GET', OPT_OUT_PATH)).status).toBe(404);
    // acme's next message to the handset is DELIVERED.
    expect((await messageToHandset()).status).toBe('DELIVERED');
  });

  it('HELP gets the help text at the SMSC and changes nothing', async () => {
    const help = await keyword('help', 'help');
    expect(help.submitted).toBe(defaultReply('help', 'acme', 'tenant'));
    expect(await optOuts.get('acme', HANDSET)).toBeUndefined();
  });
});

describe('an inbound message to a number no tenant owns', () => {
  it('is recorded without a tenant and flagged, and a STOP in it changes nothing', async () => {
    const before = h.logs.length;
    expect(await h.simA.sendInbound({ from: smscAddress(HANDSET), to: '447700900999', text: 'STOP' })).toEqual([0]);
    const events = h.logs.slice(before).map((l) => l.event);
    expect(events).toEqual(expect.arrayContaining(['INBOUND_UNOWNED', 'INBOUND_RECORDED']));
    expect(events).not.toContain('KEYWORD_HANDLED');
    expect(await optOuts.get('acme', HANDSET)).toBeUndefined();
  });
});
