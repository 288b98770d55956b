/**
 * CarrierConnection (and the session wrapper under it) against the SMSC simulator over
 * loopback TCP on port 0: binds, submit outcomes, the TPS limit and the window, dropped
 * connections, timeouts, the circuit breaker, enquire_link, receipts and inbound messages,
 * graceful stop, and TLS certificate checking.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import * as net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tls from 'node:tls';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { CarrierConfig } from '../../core/config/schema';
import { buildSubmitPdus, type OutboundMessage, type SubmitSmParams } from '../../core/domain/submit-pdus';
import { SmscSimulator, type SimulatorOptions } from '../../simulator/smsc-simulator';
import {
  CarrierConnection,
  type CarrierConnectionOptions,
  type CarrierTiming,
  type InboundPdu,
} from '../../worker/smpp/carrier-connection';
import { leaseTiming } from '../../core/domain/bind-leases';
import { InProcessLeases } from '../../worker/smpp/in-process-leases';
import { maxInAnyWindow } from '../support/windows';

// ---- fixtures ---------------------------------------------------------------------------

const DESTINATION = '+447400123456';
const FAST: CarrierTiming = {
  backoffBaseMs: 20,
  backoffCapMs: 200,
  breakerPauseMs: 1500,
  responseTimeoutMs: 1000,
  stableAfterMs: 60_000,
  unbindTimeoutMs: 500,
};

interface LogLine {
  event: string;
  data: Record<string, unknown>;
}

interface Harness {
  sim: SmscSimulator;
  port: number;
  connection: CarrierConnection;
  logs: LogLine[];
  delivered: InboundPdu[];
  events: (name: string) => LogLine[];
}

let simulators: SmscSimulator[] = [];
let connections: CarrierConnection[] = [];
let servers: net.Server[] = [];

afterEach(async () => {
  await Promise.all(connections.map((c) => c.stop(0)));
  await Promise.all(simulators.map((s) => s.stop()));
  for (const s of servers) s.close();
  simulators = [];
  connections = [];
  servers = [];
});

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

async function waitFor(condition: () => boolean, what: string, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await sleep(10);
  }
}

function carrierConfig(port: number, overrides: Record<string, unknown> = {}): CarrierConfig {
  return CarrierConfig.parse({
    id: 'sim',
    host: '127.0.0.1',
    port,
    systemId: 'gw',
    password: 'secret',
    tps: 10_000,
    window: 10,
    responseTimeoutSeconds: 2,
    ...overrides,
  });
}

async function startSimulator(options: Partial<SimulatorOptions> = {}): Promise<{ sim: SmscSimulator; port: number }> {
  const sim = new SmscSimulator({ receiptDelayMs: 10, ...options });
  simulators.push(sim);
  return { sim, port: await sim.start(0) };
}

interface HarnessOptions {
  sim?: Partial<SimulatorOptions>;
  carrier?: Record<string, unknown>;
  timing?: CarrierTiming;
  connection?: Partial<CarrierConnectionOptions>;
  /** Port to connect to instead of the simulator's (a proxy in front of it). */
  port?: (simPort: number) => number | Promise<number>;
  ready?: boolean;
}

async function harness(options: HarnessOptions = {}): Promise<Harness> {
  const { sim, port } = await startSimulator(options.sim);
  const logs: LogLine[] = [];
  const delivered: InboundPdu[] = [];
  const targetPort = options.port ? await options.port(port) : port;
  const connection = new CarrierConnection({
    carrier: carrierConfig(targetPort, options.carrier),
    password: typeof options.carrier?.password === 'string' ? options.carrier.password : 'secret',
    log: (event, data) => logs.push({ event, data }),
    onDeliver: async (d) => void delivered.push(d),
    timing: { ...FAST, ...options.timing },
    ...options.connection,
  });
  connections.push(connection);
  connection.start();
  if (options.ready !== false) expect(await connection.whenReady(5000)).toBe(true);
  return { sim, port, connection, logs, delivered, events: (name) => logs.filter((l) => l.event === name) };
}

function message(overrides: Partial<OutboundMessage> = {}): OutboundMessage {
  return {
    to: DESTINATION,
    from: 'ACME',
    text: 'Your code is 123456',
    encoding: 'GSM7',
    validUntil: new Date(Date.now() + 3_600_000).toISOString(),
    concatReference: 42,
    ...overrides,
  };
}

const pdusOf = (overrides: Partial<OutboundMessage> = {}, mode: 'udh' | 'sar' | 'payload' = 'udh'): SubmitSmParams[] =>
  buildSubmitPdus(message(overrides), mode);

interface RawPdu {
  commandId: number;
  status: number;
  sequence: number;
}

/**
 * A bare-bones SMSC on raw TCP for what the simulator cannot do: it answers bind_transceiver
 * and nothing else (a dead peer for enquire_link), records every PDU and sends what it is given.
 */
async function rawSmsc(): Promise<{ port: number; connections: () => number; received: () => RawPdu[]; send: (pdu: Buffer) => void }> {
  const sockets: net.Socket[] = [];
  const received: RawPdu[] = [];
  const server = net.createServer((socket) => {
    sockets.push(socket);
    let buffer = Buffer.alloc(0);
    socket.on('error', () => undefined);
    socket.on('data', (chunk) => {
      buffer = Buffer.concat([buffer, chunk]);
      while (buffer.length >= 16 && buffer.length >= buffer.readUInt32BE(0)) {
        const pdu = { commandId: buffer.readUInt32BE(4), status: buffer.readUInt32BE(8), sequence: buffer.readUInt32BE(12) };
        buffer = buffer.subarray(buffer.readUInt32BE(0));
        received.push(pdu);
        if (pdu.commandId === 0x00000009) socket.write(rawPdu(0x80000009, pdu.sequence, Buffer.from('RAW\0', 'latin1')));
      }
    });
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const address = server.address();
  return {
    port: typeof address === 'object' && address ? address.port : 0,
    connections: () => sockets.length,
    received: () => [...received],
    send: (pdu) => void sockets.at(-1)?.write(pdu),
  };
}

function rawPdu(commandId: number, sequence: number, body: Buffer): Buffer {
  const header = Buffer.alloc(16);
  header.writeUInt32BE(16 + body.length, 0);
  header.writeUInt32BE(commandId, 4);
  header.writeUInt32BE(0, 8);
  header.writeUInt32BE(sequence, 12);
  return Buffer.concat([header, body]);
}

/** A deliver_sm from +447700900123 to ACME with the given esm_class, data_coding and short_message. */
function deliverSm(sequence: number, esmClass: number, dataCoding: number, shortMessage: Buffer): Buffer {
  const cstr = (s: string): Buffer => Buffer.from(`${s}\0`, 'latin1');
  const body = Buffer.concat([
    cstr(''), // service_type
    Buffer.from([1, 1]),
    cstr('447700900123'),
    Buffer.from([5, 0]),
    cstr('ACME'),
    Buffer.from([esmClass, 0, 0]), // esm_class, protocol_id, priority_flag
    cstr(''), // schedule_delivery_time
    cstr(''), // validity_period
    Buffer.from([0, 0, dataCoding, 0, shortMessage.length]),
    shortMessage,
  ]);
  return rawPdu(0x00000005, sequence, body);
}

// ---- tests ------------------------------------------------------------------------------

describe('CarrierConnection: submit and receipts', () => {
  it('binds, submits, and answers the receipt only after onDeliver has resolved', async () => {
    // Prepare: onDeliver takes 300 ms to "record" the receipt.
    let resolvedAt = 0;
    let startedAt = 0;
    const received: InboundPdu[] = [];
    const h = await harness({
      connection: {
        onDeliver: async (d) => {
          startedAt = Date.now();
          received.push(d);
          await sleep(300);
          resolvedAt = Date.now();
        },
      },
    });

    // Act
    const outcome = await h.connection.submit(pdusOf());

    // Assess: accepted with the SMSC's id, the PDU as built.
    const [record] = h.sim.submits();
    expect(outcome).toEqual({ kind: 'accepted', smscIds: [record?.smscId] });
    expect(record).toMatchObject({ source: 'ACME', destination: '447400123456', dataCoding: 0, esmClass: 0, registeredDelivery: 1 });
    expect(h.events('BIND_UP')).toHaveLength(1);
    expect(h.connection.bindsUp()).toBe(1);

    // The receipt reaches onDeliver; no deliver_sm_resp while it is being recorded.
    await waitFor(() => received.length === 1, 'the receipt');
    await sleep(150);
    expect(h.sim.records.filter((r) => r.command === 'deliver_sm_resp')).toHaveLength(0);
    await waitFor(() => h.sim.records.some((r) => r.command === 'deliver_sm_resp'), 'deliver_sm_resp');
    const resp = h.sim.records.find((r) => r.command === 'deliver_sm_resp');
    expect(resp?.at).toBeGreaterThanOrEqual(resolvedAt);
    expect(resolvedAt - startedAt).toBeGreaterThanOrEqual(290);
    expect(resp?.pdu.command_status).toBe(0);

    const [receipt] = received;
    expect(receipt?.kind).toBe('receipt');
    if (receipt?.kind !== 'receipt') return;
    expect(receipt.receipt).toMatchObject({ smscId: record?.receiptId, state: 'DELIVERED', final: true, errorCode: '000' });
    expect(receipt.raw).toMatchObject({ esmClass: 0x04, dataCoding: 0, receiptedMessageId: record?.receiptId, messageState: 2 });
    expect(receipt.raw.shortMessage.toString('latin1')).toMatch(/^id:\d+ sub:001 dlvrd:001 /);

    // No log line holds the full number or the text.
    const logged = JSON.stringify(h.logs);
    expect(logged).not.toContain('447400123456');
    expect(logged).not.toContain('123456');
  });

  it('answers ESME_RX_T_APPN (0x64) when onDeliver rejects, so the SMSC delivers again', async () => {
    const h = await harness({ connection: { onDeliver: () => Promise.reject(new Error('table unavailable')) } });
    await h.connection.submit(pdusOf());
    await waitFor(() => h.sim.records.some((r) => r.command === 'deliver_sm_resp'), 'deliver_sm_resp');
    expect(h.sim.records.find((r) => r.command === 'deliver_sm_resp')?.pdu.command_status).toBe(0x64);
    expect(h.events('DELIVER_FAILED')[0]?.data).toMatchObject({ kind: 'receipt', error: 'Error: table unavailable' });
  });

  it('returns SMSC ids exactly as returned: hex ids stay hex (normalising is the caller’s job)', async () => {
    const h = await harness({ sim: { idFormat: 'hex', receiptDelayMs: -1 } });
    const outcome = await h.connection.submit(pdusOf({ text: 'x'.repeat(200) }));
    const ids = h.sim.submits().map((s) => s.smscId);
    expect(ids).toEqual(['F4240', 'F4241']);
    expect(outcome).toEqual({ kind: 'accepted', smscIds: ids });
  });

  it('rejects with a permanent status (0x0B) as not retryable', async () => {
    const h = await harness({ sim: { rejectWith: 0x0b } });
    const outcome = await h.connection.submit(pdusOf());
    expect(outcome).toEqual({
      kind: 'rejected',
      status: { code: 0x0b, name: 'ESME_RINVDSTADR', kind: 'permanent', retryable: false },
      acceptedSmscIds: [],
    });
    // The number goes to the log function under `to`, which masks it (test/unit/worker-log.test.ts).
    expect(h.events('SUBMIT_REJECTED')[0]?.data).toMatchObject({ commandStatus: '0x0000000B', retryable: false, to: '447400123456' });
  });

  it("classifies with the carrier's own overrides: 0x45 declared permanent is not retried", async () => {
    const h = await harness({ sim: { rejectWith: 0x45 }, carrier: { commandStatus: { '0x00000045': 'permanent' } } });
    const outcome = await h.connection.submit(pdusOf());
    expect(outcome).toMatchObject({ kind: 'rejected', status: { code: 0x45, name: 'ESME_RSUBMITFAIL', retryable: false } });
  });

  it('rejects ESME_RTHROTTLED (0x58) as retryable and slows the limiter down', async () => {
    const h = await harness({ sim: { rejectWith: 0x58 } });
    const before = h.connection.status().rate;
    const outcome = await h.connection.submit(pdusOf());
    expect(outcome).toMatchObject({ kind: 'rejected', status: { code: 0x58, name: 'ESME_RTHROTTLED', kind: 'throttled', retryable: true } });
    expect(h.events('THROTTLED')).toHaveLength(1);
    expect(h.connection.status().rate).toBeCloseTo(before / 2, 0);
  });

  it('stops a multi-part message at the first rejected part and reports the parts accepted', async () => {
    const h = await harness({ sim: { receiptDelayMs: -1 } });
    h.sim.on('submit', () => h.sim.behave({ rejectWith: 0x45 })); // the first part passes, the second fails
    const outcome = await h.connection.submit(pdusOf({ text: 'y'.repeat(400) }));
    expect(h.sim.submits()).toHaveLength(2);
    expect(outcome).toMatchObject({ kind: 'rejected', status: { name: 'ESME_RSUBMITFAIL', retryable: true }, acceptedSmscIds: [h.sim.submits()[0]?.smscId] });
  });
});

describe('CarrierConnection: a throttled later part', () => {
  it('sends that part again in place, so no part the SMSC accepted is sent twice', async () => {
    // Prepare: the second part is throttled twice, then accepted.
    const h = await harness({ sim: { receiptDelayMs: -1 } });
    let submits = 0;
    h.sim.on('submit', () => {
      submits++;
      h.sim.behave({ rejectWith: submits === 1 || submits >= 3 ? 0x58 : undefined });
      if (submits >= 3) h.sim.behave({ rejectWith: undefined });
    });
    // Act
    const outcome = await h.connection.submit(pdusOf({ text: 'z'.repeat(400) }));
    // Assess: accepted with one id per part; the first part was accepted exactly once.
    expect(outcome.kind).toBe('accepted');
    const accepted = h.sim.submits().filter((s) => s.commandStatus === 0);
    expect(accepted).toHaveLength(3);
    expect(new Set(accepted.map((s) => s.shortMessage.subarray(0, 6).toString('hex'))).size).toBe(3);
    expect(h.events('THROTTLED').length).toBeGreaterThanOrEqual(1);
  });
});

describe('CarrierConnection: exact segments on the wire', () => {
  it('sends a 306-character GSM-7 text as the two UDH segments buildSubmitPdus made', async () => {
    const h = await harness({ sim: { receiptDelayMs: -1 } });
    const text = 'Long GSM text: @ £ é Ø & 0-9. '.repeat(11).slice(0, 306);
    const pdus = pdusOf({ text });
    expect(pdus).toHaveLength(2);
    const outcome = await h.connection.submit(pdus);
    expect(outcome.kind).toBe('accepted');
    const wire = h.sim.submits();
    expect(wire.map((s) => s.shortMessage.toString('hex'))).toEqual(pdus.map((p) => p.short_message.toString('hex')));
    expect(wire.map((s) => [s.esmClass, s.dataCoding])).toEqual([[0x40, 0], [0x40, 0]]);
    expect(wire.every((s) => s.session === wire[0]?.session)).toBe(true);
  });

  it('sends a long UCS-2 text with an emoji across the boundary as exact UTF-16BE segments', async () => {
    const h = await harness({ sim: { receiptDelayMs: -1 } });
    const text = 'Привет '.repeat(9) + 'ж'.repeat(3) + '😀' + ' конец'.repeat(5);
    const pdus = pdusOf({ text, encoding: 'UCS2' });
    expect(pdus.length).toBeGreaterThan(1);
    await h.connection.submit(pdus);
    const wire = h.sim.submits();
    expect(wire.map((s) => s.shortMessage.toString('hex'))).toEqual(pdus.map((p) => p.short_message.toString('hex')));
    expect(wire.every((s) => s.dataCoding === 8 && s.esmClass === 0x40)).toBe(true);
  });

  it('sends SAR TLVs and message_payload as built', async () => {
    const h = await harness({ sim: { receiptDelayMs: -1 } });
    const text = 'z'.repeat(200);
    await h.connection.submit(pdusOf({ text }, 'sar'));
    await h.connection.submit(pdusOf({ text }, 'payload'));
    const [p1, p2, payload] = h.sim.submits();
    expect([p1?.tlvs, p2?.tlvs]).toEqual([
      { sar_msg_ref_num: 42, sar_total_segments: 2, sar_segment_seqnum: 1 },
      { sar_msg_ref_num: 42, sar_total_segments: 2, sar_segment_seqnum: 2 },
    ]);
    expect(p1?.esmClass).toBe(0);
    expect(payload?.shortMessage.length).toBe(0);
    expect(payload?.tlvs.message_payload).toEqual(Buffer.from(text, 'ascii'));
  });
});

describe('CarrierConnection: rate limit and window', () => {
  it('holds the TPS limit across binds: 60 concurrent submits at tps 20 draw no throttling', async () => {
    const h = await harness({ sim: { tps: 20, receiptDelayMs: -1 }, carrier: { tps: 20, binds: 2 } });
    await waitFor(() => h.connection.bindsUp() === 2, 'both binds');
    const outcomes = await Promise.all(Array.from({ length: 60 }, () => h.connection.submit(pdusOf())));
    expect(outcomes.every((o) => o.kind === 'accepted')).toBe(true);
    expect(h.sim.throttledCount()).toBe(0);
    expect(Math.max(...h.sim.acceptedPerSecond())).toBeLessThanOrEqual(20);
    expect(maxInAnyWindow(h.sim.submits().map((s) => s.at), 1000)).toBeLessThanOrEqual(20);
    expect(new Set(h.sim.submits().map((s) => s.session)).size).toBe(2); // both binds carried traffic
  });

  it('never has more than `window` submit_sm outstanding on a bind', async () => {
    const delay = 250;
    const h = await harness({ sim: { responseDelayMs: delay, receiptDelayMs: -1 }, carrier: { window: 3 } });
    const sampled: number[] = [];
    h.sim.on('submit', () => sampled.push(h.connection.status().binds[0]?.outstanding ?? -1));
    const outcomes = await Promise.all(Array.from({ length: 9 }, () => h.connection.submit(pdusOf())));
    expect(outcomes.every((o) => o.kind === 'accepted')).toBe(true);
    // At the simulator: submits received within the last `delay` ms are certainly unanswered.
    const times = h.sim.submits().map((s) => s.at);
    const unanswered = times.map((t) => times.filter((u) => u <= t && u > t - delay + 5).length);
    expect(Math.max(...unanswered)).toBe(3);
    expect(Math.max(...sampled)).toBeLessThanOrEqual(3);
  });
});

describe('CarrierConnection: failures', () => {
  it('resolves in-flight submits as unknown/connection_lost when the connection drops, then rebinds', async () => {
    const h = await harness({ sim: { dropAfterSubmits: 3, responseDelayMs: 300, receiptDelayMs: -1 }, carrier: { window: 5 } });
    const outcomes = await Promise.all(Array.from({ length: 5 }, () => h.connection.submit(pdusOf())));
    expect(outcomes).toEqual(Array.from({ length: 5 }, () => ({ kind: 'unknown', reason: 'connection_lost', acceptedSmscIds: [] })));
    await waitFor(() => h.events('BIND_UP').length === 2, 'the rebind');
    expect(h.events('BIND_LOST')[0]?.data).toMatchObject({ carrier: 'sim', bind: 0 });
    h.sim.behave({ responseDelayMs: 0 });
    expect(await h.connection.submit(pdusOf())).toMatchObject({ kind: 'accepted' });
  });

  it('resolves unknown/timeout when no submit_sm_resp comes in time, and ignores the late one', async () => {
    const h = await harness({ sim: { responseDelayMs: 600, receiptDelayMs: -1 }, timing: { responseTimeoutMs: 300 } });
    expect(await h.connection.submit(pdusOf())).toEqual({ kind: 'unknown', reason: 'timeout', acceptedSmscIds: [] });
    expect(h.events('SUBMIT_TIMEOUT')[0]?.data).toMatchObject({ timeoutMs: 300, segment: 1, segments: 1, to: '447400123456' });
    await sleep(400); // the late response arrives
    h.sim.behave({ responseDelayMs: 0 });
    expect(await h.connection.submit(pdusOf())).toMatchObject({ kind: 'accepted' });
    expect(h.events('BIND_LOST')).toHaveLength(0);
  });

  it('opens the circuit on a refused bind (wrong password): BIND_REFUSED, at most 2 attempts in 2 s', async () => {
    const h = await harness({ carrier: { password: 'wrong' }, timing: { breakerPauseMs: 1500, slotWaitMs: 200 }, ready: false });
    const attempts: number[] = [];
    h.sim.on('bind', (b) => attempts.push(b.commandStatus));
    const ready = await h.connection.whenReady(2000);
    expect(ready).toBe(false);
    expect(attempts.length).toBeGreaterThanOrEqual(1);
    expect(attempts.length).toBeLessThanOrEqual(2);
    expect(attempts.every((s) => s === 0x0e)).toBe(true);
    expect(h.events('BIND_REFUSED')[0]?.data).toMatchObject({ commandStatus: '0x0000000E', name: 'ESME_RINVPASWD', pauseMs: 1500 });
    expect(h.connection.status().circuitOpenForMs).toBeGreaterThan(0);
    // Nothing to submit on: nothing reached the SMSC, and the outcome says so.
    expect(await h.connection.submit(pdusOf())).toEqual({ kind: 'unsent' });
    expect(h.sim.submits()).toHaveLength(0);
  });

  it('reconnects when enquire_link goes unanswered on a socket that stays open', async () => {
    // A "dead" SMSC: binds, then never answers anything.
    const smsc = await rawSmsc();
    const h = await harness({ port: () => smsc.port, timing: { enquireLinkMs: 100, responseTimeoutMs: 150 } });
    await waitFor(() => h.events('BIND_LOST').length > 0, 'BIND_LOST', 3000);
    expect(h.events('BIND_LOST')[0]?.data).toMatchObject({ reason: 'enquire_link_timeout' });
    await waitFor(() => smsc.connections() >= 2, 'a reconnect', 3000);
  });

  it('passes unreadable receipts and undecodable inbound on as malformed, and still answers them', async () => {
    const smsc = await rawSmsc();
    const h = await harness({ port: () => smsc.port });
    // A receipt whose text has no id and no TLVs; a UCS-2 inbound message with an odd number of octets.
    smsc.send(deliverSm(1001, 0x04, 0x00, Buffer.from('stat:DELIVRD err:000', 'latin1')));
    smsc.send(deliverSm(1002, 0x00, 0x08, Buffer.from([0x04, 0x1f, 0x04])));
    await waitFor(() => smsc.received().filter((p) => p.commandId === 0x80000005).length === 2, 'two deliver_sm_resp');
    expect(smsc.received().filter((p) => p.commandId === 0x80000005).map((p) => [p.sequence, p.status])).toEqual([[1001, 0], [1002, 0]]);
    expect(h.delivered.map((d) => d.kind)).toEqual(['malformed', 'malformed']);
    expect(h.delivered[0]).toMatchObject({ kind: 'malformed', reason: 'receipt: missing id', esmClass: 0x04 });
    expect(h.delivered[1]).toMatchObject({ kind: 'malformed', esmClass: 0x00, raw: { dataCoding: 8, shortMessage: Buffer.from([0x04, 0x1f, 0x04]) } });
    expect(h.events('RECEIPT_MALFORMED')[0]?.data).toMatchObject({ reason: 'receipt: missing id', esmClass: 4 });
    expect(h.events('INBOUND_MALFORMED')).toHaveLength(1);
  });

  it('passes inbound messages with a broken UDH on as malformed, answers them and keeps the bind', async () => {
    // Prepare
    const smsc = await rawSmsc();
    const h = await harness({ port: () => smsc.port });
    const headerPastTheEnd = Buffer.from('0500030102', 'hex');
    const elementPastTheHeader = Buffer.from('0300050102' + '41', 'hex');

    // Act: two deliver_sm with UDHI set whose headers overrun
    smsc.send(deliverSm(1003, 0x40, 0x00, headerPastTheEnd));
    smsc.send(deliverSm(1004, 0x40, 0x00, elementPastTheHeader));
    await waitFor(() => smsc.received().filter((p) => p.commandId === 0x80000005).length === 2, 'two deliver_sm_resp');

    // Assess: both answered OK (recorded), both malformed with the parser's reason, the bind still up
    expect(smsc.received().filter((p) => p.commandId === 0x80000005).map((p) => [p.sequence, p.status])).toEqual([[1003, 0], [1004, 0]]);
    expect(h.delivered).toMatchObject([
      { kind: 'malformed', reason: expect.stringMatching(/exceeds/), esmClass: 0x40, raw: { shortMessage: headerPastTheEnd } },
      { kind: 'malformed', reason: expect.stringMatching(/overruns/), esmClass: 0x40, raw: { shortMessage: elementPastTheHeader } },
    ]);
    expect(h.events('INBOUND_MALFORMED')).toHaveLength(2);
    expect(h.events('BIND_LOST')).toHaveLength(0);
    expect(h.connection.bindsUp()).toBe(1);
  });
});

describe('CarrierConnection: keep-alive, stop, bind modes, inbound', () => {
  it('sends enquire_link periodically and gets it answered', async () => {
    const h = await harness({ timing: { enquireLinkMs: 100 } });
    await sleep(550);
    expect(h.sim.records.filter((r) => r.command === 'enquire_link').length).toBeGreaterThanOrEqual(4);
    expect(h.events('BIND_LOST')).toHaveLength(0);
    expect(h.connection.bindsUp()).toBe(1);
  });

  it('stop(drain) waits for outstanding responses, then unbinds; later submits send nothing', async () => {
    const h = await harness({ sim: { responseDelayMs: 300, receiptDelayMs: -1 } });
    const unbinds: number[] = [];
    h.sim.on('unbind', (u) => unbinds.push(u.session));
    const started = Date.now();
    const submits = Array.from({ length: 3 }, () => h.connection.submit(pdusOf()));
    let submitsDoneAt = 0;
    void Promise.all(submits).then(() => (submitsDoneAt = Date.now()));
    await h.connection.stop(2000);
    const stoppedAt = Date.now();
    const outcomes = await Promise.all(submits);
    expect(outcomes.every((o) => o.kind === 'accepted')).toBe(true);
    expect(stoppedAt - started).toBeGreaterThanOrEqual(290);
    expect(submitsDoneAt).toBeGreaterThan(0);
    expect(submitsDoneAt).toBeLessThanOrEqual(stoppedAt);
    expect(unbinds).toHaveLength(1);
    expect(h.sim.binds()).toHaveLength(0);
    expect(h.connection.bindsUp()).toBe(0);
    expect(await h.connection.submit(pdusOf())).toEqual({ kind: 'unsent' });
    expect(h.sim.submits()).toHaveLength(3);
  });

  it("binds a transmitter and a receiver per bind in 'transmitter-receiver' mode; receipts come on the receiver", async () => {
    const changes: number[] = [];
    const h = await harness({ carrier: { bindMode: 'transmitter-receiver' }, connection: { events: { onBindsChanged: (up: number) => changes.push(up) } } });
    await waitFor(() => h.sim.binds().length === 2, 'two binds');
    expect(h.sim.binds().map((b) => b.type).sort()).toEqual(['receiver', 'transmitter']);
    expect(h.connection.bindsUp()).toBe(1);
    expect(changes).toEqual([1]);
    const outcome = await h.connection.submit(pdusOf());
    expect(outcome.kind).toBe('accepted');
    await waitFor(() => h.delivered.length === 1, 'the receipt');
    expect(h.delivered[0]?.kind).toBe('receipt');
  });

  it('hands inbound messages over decoded, with concatenation from the UDH or SAR TLVs', async () => {
    const h = await harness();
    const gsm = 'Reply STOP to opt out {of} all messages. '.repeat(5).slice(0, 200);
    expect(await h.sim.sendInbound({ from: '447700900123', to: '60123', text: gsm })).toEqual([0, 0]);
    expect(await h.sim.sendInbound({ from: '447700900123', to: '60123', text: 'Да 😀', encoding: 'UCS2', parts: 2, useSar: true })).toEqual([0, 0]);
    expect(h.delivered).toHaveLength(4);
    const [a, b, c, d] = h.delivered;
    expect(a).toMatchObject({ kind: 'inbound', from: '+447700900123', to: '60123', dataCoding: 0, concat: { total: 2, sequence: 1 } });
    expect(b).toMatchObject({ kind: 'inbound', concat: { total: 2, sequence: 2 } });
    const texts = [a, b].map((x) => (x?.kind === 'inbound' ? x.text : ''));
    expect(texts.join('')).toBe(gsm);
    expect(c).toMatchObject({ kind: 'inbound', dataCoding: 8, concat: { total: 2, sequence: 1 } });
    expect([c, d].map((x) => (x?.kind === 'inbound' ? x.text : '')).join('')).toBe('Да 😀');
  });
});

// ---- TLS --------------------------------------------------------------------------------

function hasOpenssl(): boolean {
  try {
    execFileSync('openssl', ['version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

describe.skipIf(!hasOpenssl())('CarrierConnection: TLS', () => {
  let dir = '';
  let key = '';
  let cert = '';

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'smpp-tls-'));
    execFileSync(
      'openssl',
      ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1', '-subj', '/CN=smsc.test',
        '-addext', 'subjectAltName=IP:127.0.0.1', '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem')],
      { stdio: 'ignore' },
    );
    key = readFileSync(join(dir, 'key.pem'), 'utf8');
    cert = readFileSync(join(dir, 'cert.pem'), 'utf8');
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  /** A TLS front for the simulator (as a carrier's TLS terminator would be). */
  async function tlsProxy(simPort: number): Promise<number> {
    const server = tls.createServer({ key, cert }, (socket) => {
      const upstream = net.connect(simPort, '127.0.0.1');
      socket.on('error', () => upstream.destroy());
      upstream.on('error', () => socket.destroy());
      socket.pipe(upstream).pipe(socket);
    });
    server.on('tlsClientError', () => undefined);
    servers.push(server);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
    const address = server.address();
    return typeof address === 'object' && address ? address.port : 0;
  }

  it('refuses an SMSC certificate it does not trust', async () => {
    const h = await harness({ carrier: { tls: true }, port: tlsProxy, ready: false });
    expect(await h.connection.whenReady(400)).toBe(false);
    expect(h.events('BIND_FAILED')[0]?.data.reason).toBe('DEPTH_ZERO_SELF_SIGNED_CERT');
    expect(h.sim.binds()).toHaveLength(0);
  });

  it('binds and submits over TLS when given the CA', async () => {
    const h = await harness({ carrier: { tls: true }, port: tlsProxy, connection: { tlsCa: cert } });
    expect(await h.connection.submit(pdusOf())).toMatchObject({ kind: 'accepted' });
    await waitFor(() => h.delivered.length === 1, 'the receipt over TLS');
  });
});

describe('CarrierConnection: bind leases shared by two connections', () => {
  /** Two connections (two tasks) on one simulator that allows exactly `binds` binds, sharing one lease store. */
  async function pair(carrier: Record<string, unknown>, sim: Partial<SimulatorOptions> = {}) {
    const { sim: smsc, port } = await startSimulator({ maxBinds: Number(carrier.binds), ...sim });
    const leases = new InProcessLeases();
    const logs: LogLine[] = [];
    const make = (taskId: string) => {
      const connection = new CarrierConnection({
        carrier: carrierConfig(port, carrier),
        password: 'secret',
        taskId,
        leases,
        leaseTiming: leaseTiming(3000),
        log: (event, data) => logs.push({ event, data }),
        onDeliver: async () => undefined,
        timing: FAST,
      });
      connections.push(connection);
      return connection;
    };
    return { smsc, a: make('a'), b: make('b'), logs };
  }

  it('hold at most `binds` binds between them, spread one each, and the standby binds within seconds of a stop', async () => {
    // Prepare: a holds both slots before b starts.
    const { smsc, a, b, logs } = await pair({ binds: 2 });
    a.start();
    await waitFor(() => a.bindsUp() === 2, 'a holding both binds', 10_000);
    b.start();
    // Act 1: the tasks balance (the worker calls this every heartbeat with the live tasks).
    await waitFor(() => (a.balance(2), b.bindsUp() === 1 && a.bindsUp() === 1), 'one bind each', 15_000);
    // Act 2: a stops (SIGTERM): b takes its slot.
    const stopped = Date.now();
    await a.stop(1000);
    await waitFor(() => b.bindsUp() === 2, 'b holding both binds', 10_000);
    // Assess
    expect(Date.now() - stopped).toBeLessThan(5000);
    expect(smsc.peakBinds()).toBe(2);
    expect(smsc.bindRefusals()).toBe(0);
    expect(logs.filter((l) => l.event === 'LEASE_RELEASED').map((l) => l.data.reason)).toEqual(expect.arrayContaining(['balance', 'stop']));
  });

  it('share the tps by slot: both submitting flat out draw no throttling from an SMSC that counts the account', async () => {
    // Prepare: tps 20 over 2 binds, 10 per slot; one bind each.
    const { smsc, a, b } = await pair({ binds: 2, tps: 20 }, { tps: 20 });
    a.start();
    await waitFor(() => a.bindsUp() > 0, 'a bound', 10_000);
    b.start();
    await waitFor(() => (a.balance(2), a.bindsUp() === 1 && b.bindsUp() === 1 && a.status().rate > 0 && b.status().rate > 0), 'one bind each', 15_000);
    // Act
    const outcomes = await Promise.all([...Array.from({ length: 30 }, () => a.submit(pdusOf())), ...Array.from({ length: 30 }, () => b.submit(pdusOf()))]);
    // Assess
    expect(outcomes.every((o) => o.kind === 'accepted')).toBe(true);
    expect(smsc.throttledCount()).toBe(0);
    expect(smsc.maxSubmitsInAnyWindow(1000)).toBeLessThanOrEqual(20);
  });

  it('after a takeover, take ESME_RBINDFAIL for the previous holder’s bind still open at the SMSC: back off and bind once it is gone, without opening the breaker', async () => {
    // Prepare: a frozen holder ("ghost") whose lease expired while its bind stays open; the SMSC allows one bind.
    const { sim: smsc, port } = await startSimulator({ maxBinds: 1 });
    const ghost = new CarrierConnection({ carrier: carrierConfig(port), password: 'secret', log: () => undefined, onDeliver: async () => undefined, timing: FAST });
    connections.push(ghost);
    ghost.start();
    await waitFor(() => ghost.bindsUp() === 1, 'the ghost bound', 10_000);
    const leases = new InProcessLeases();
    await leases.acquire('sim', 0, 'ghost', 1, 0);
    const logs: LogLine[] = [];
    const taker = new CarrierConnection({ carrier: carrierConfig(port), password: 'secret', taskId: 'taker', leases, leaseTiming: leaseTiming(3000), log: (event, data) => logs.push({ event, data }), onDeliver: async () => undefined, timing: FAST });
    connections.push(taker);
    // Act: the taker takes the lease over and is refused; then the ghost's bind goes.
    taker.start();
    await waitFor(() => logs.some((l) => l.event === 'BIND_REFUSED'), 'a refused bind', 10_000);
    await ghost.stop(0);
    await waitFor(() => taker.bindsUp() === 1, 'the taker bound', 10_000);
    // Assess
    expect(logs.find((l) => l.event === 'LEASE_ACQUIRED')?.data).toMatchObject({ takeover: true, previousOwner: 'ghost' });
    expect(logs.find((l) => l.event === 'BIND_REFUSED')?.data).toMatchObject({ commandStatus: '0x0000000D', afterTakeover: true });
    expect(taker.status().circuitOpenForMs).toBe(0);
    expect(smsc.peakBinds()).toBe(1);
  });

  it('hand a slot this task cannot bind (its path to the SMSC is broken) to another task that can', async () => {
    // Prepare: a holds the only slot but its SMSC address answers nothing; b reaches the SMSC.
    const { sim: smsc, port } = await startSimulator({ maxBinds: 1 });
    const closed = net.createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', () => r()));
    const deadPort = (closed.address() as net.AddressInfo).port;
    await new Promise<void>((r) => closed.close(() => r()));
    const leases = new InProcessLeases();
    const logs: LogLine[] = [];
    const make = (taskId: string, carrierPort: number) => {
      const c = new CarrierConnection({ carrier: carrierConfig(carrierPort), password: 'secret', taskId, leases, leaseTiming: leaseTiming(3000), log: (event, data) => logs.push({ event, data: { ...data, taskId } }), onDeliver: async () => undefined, timing: { ...FAST, yieldUnboundAfterMs: 500 } });
      connections.push(c);
      return c;
    };
    const a = make('a', deadPort);
    const b = make('b', port);
    a.start();
    await waitFor(() => a.status().slots.length === 1, 'a holding the slot', 10_000);
    b.start();
    // Act: the tasks balance every heartbeat.
    await waitFor(() => (a.balance(2), b.bindsUp() === 1), 'b bound', 15_000);
    // Assess
    expect(logs.find((l) => l.event === 'LEASE_RELEASED' && l.data.taskId === 'a')?.data).toMatchObject({ reason: 'cannot_bind' });
    expect(a.bindsUp()).toBe(0);
    expect(smsc.peakBinds()).toBe(1);
  });
});
