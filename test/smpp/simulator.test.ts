/**
 * The SMSC simulator against a bare `smpp` client over loopback TCP (port 0), and its
 * control port (simulator/control-server.ts) over HTTP.
 */
import * as smpp from 'smpp';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { encodeGsm7, encodeUcs2 } from '../../core/domain/encoding';
import { isReceiptParseError, normaliseSmscId, parseReceiptText, receiptFromTlvs, type Receipt } from '../../core/domain/receipt';
import { concatUdh } from '../../core/domain/udh';
import { startControlServer, type ControlServer } from '../../simulator/control-server';
import { SmscSimulator, type SimulatorOptions } from '../../simulator/smsc-simulator';

// ---- fixtures ---------------------------------------------------------------------------

interface Client {
  session: smpp.Session;
  /** Every PDU received, in arrival order. */
  pdus: smpp.PDU[];
  closed: Promise<void>;
}

let simulators: SmscSimulator[] = [];
let clients: Client[] = [];

afterEach(async () => {
  vi.useRealTimers();
  for (const c of clients) c.session.destroy();
  await Promise.all(simulators.map((s) => s.stop()));
  simulators = [];
  clients = [];
});

async function startSimulator(options: Partial<SimulatorOptions> = {}): Promise<{ sim: SmscSimulator; port: number }> {
  const sim = new SmscSimulator({ receiptDelayMs: 10, ...options });
  simulators.push(sim);
  const port = await sim.start(0);
  return { sim, port };
}

function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms);
    promise.then(
      (v) => {
        clearTimeout(timer);
        resolve(v);
      },
      (e: unknown) => {
        clearTimeout(timer);
        reject(e instanceof Error ? e : new Error(String(e)));
      },
    );
  });
}

/** Connects a client; by default it answers every deliver_sm with deliver_sm_resp, as an ESME must. */
async function connect(port: number, { answerDeliverSm = true } = {}): Promise<Client> {
  const session = smpp.connect({ host: '127.0.0.1', port });
  const pdus: smpp.PDU[] = [];
  session.on('error', () => undefined); // ECONNRESET when the simulator drops the connection
  session.on('pdu', (pdu) => pdus.push(pdu));
  if (answerDeliverSm) session.on('deliver_sm', (pdu) => session.send(pdu.response()));
  const closed = new Promise<void>((resolve) => session.on('close', () => resolve()));
  await withTimeout(new Promise<void>((resolve) => session.once('connect', () => resolve())), 5000, 'connect');
  const client = { session, pdus, closed };
  clients.push(client);
  return client;
}

function request(client: Client, command: string, fields: smpp.PduOptions = {}): Promise<smpp.PDU> {
  return withTimeout(
    new Promise<smpp.PDU>((resolve, reject) => {
      if (!client.session.send(new smpp.PDU(command, fields), resolve)) reject(new Error('socket not writable'));
    }),
    5000,
    `${command}_resp`,
  );
}

function bind(client: Client, type: 'transceiver' | 'transmitter' | 'receiver' = 'transceiver', password = 'secret', systemId = 'gw'): Promise<smpp.PDU> {
  return request(client, `bind_${type}`, { system_id: systemId, password, interface_version: 0x34 });
}

function submit(client: Client, fields: smpp.PduOptions = {}): Promise<smpp.PDU> {
  return request(client, 'submit_sm', {
    source_addr_ton: 5,
    source_addr: 'Acme',
    dest_addr_ton: 1,
    dest_addr_npi: 1,
    destination_addr: '447700900123',
    registered_delivery: 1,
    data_coding: 0,
    short_message: encodeGsm7('Hello €uro'),
    ...fields,
  });
}

/** Resolves with the first `count` PDUs of `command` the client has received (waiting for more if needed). */
function received(client: Client, command: string, count = 1, ms = 5000): Promise<smpp.PDU[]> {
  const found = (): smpp.PDU[] => client.pdus.filter((p) => p.command === command);
  return withTimeout(
    new Promise<smpp.PDU[]>((resolve) => {
      const check = (): void => {
        if (found().length < count) return;
        client.session.off('pdu', check);
        resolve(found().slice(0, count));
      };
      client.session.on('pdu', check);
      check();
    }),
    ms,
    `${count} × ${command}`,
  );
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** The text of a deliver_sm as the `smpp` package decodes it. */
function messageText(pdu: smpp.PDU): string {
  const sm = pdu.short_message;
  if (typeof sm === 'object' && sm !== null && 'message' in sm && typeof sm.message === 'string') return sm.message;
  throw new Error('deliver_sm without a decoded text');
}

function receiptOf(pdu: smpp.PDU): Receipt {
  const id = typeof pdu.receipted_message_id === 'string' ? pdu.receipted_message_id : undefined;
  const state = typeof pdu.message_state === 'number' ? pdu.message_state : undefined;
  const receipt = receiptFromTlvs(id, state, messageText(pdu));
  if (isReceiptParseError(receipt)) throw receipt;
  return receipt;
}

// ---- tests ------------------------------------------------------------------------------

describe('SmscSimulator: bind, submit and receipts', () => {
  it('accepts a bind and a submit_sm, then sends a receipt whose id matches (decimal ids)', async () => {
    // Prepare
    const { sim, port } = await startSimulator();
    const client = await connect(port);

    // Act
    const bound = await bind(client);
    const response = await submit(client);
    const [receipt] = await received(client, 'deliver_sm');

    // Assess
    expect(bound.command_status).toBe(0);
    expect(response.command_status).toBe(0);
    expect(response.message_id).toBe('1000000');
    expect(receipt?.esm_class).toBe(0x04);
    expect(receipt?.receipted_message_id).toBe('1000000');
    expect(receipt?.message_state).toBe(2);
    expect(receipt?.source_addr).toBe('447700900123');
    expect(receipt?.destination_addr).toBe('Acme');
    const text = messageText(receipt as smpp.PDU);
    expect(text).toMatch(/^id:1000000 sub:001 dlvrd:001 submit date:\d{10} done date:\d{10} stat:DELIVRD err:000 text:Hello \?uro$/);
    const parsed = receiptOf(receipt as smpp.PDU);
    expect(parsed).toMatchObject({ state: 'DELIVERED', final: true, submitted: 1, delivered: 1, errorCode: '000' });
    expect(normaliseSmscId(parsed.smscId, 'as-is', 'receipt')).toBe(normaliseSmscId(String(response.message_id), 'as-is', 'response'));

    // The simulator saw the exact octets, including the GSM escape for €.
    const [record] = sim.submits();
    expect(record).toMatchObject({ smscId: '1000000', receiptId: '1000000', source: 'Acme', destination: '447700900123', dataCoding: 0, esmClass: 0, registeredDelivery: 1, commandStatus: 0 });
    expect(record?.shortMessage.equals(encodeGsm7('Hello €uro'))).toBe(true);
    await sleep(20); // let the deliver_sm_resp arrive
    expect(sim.records.map((r) => r.command)).toEqual(['bind_transceiver', 'submit_sm', 'deliver_sm_resp']);
  });

  it('in hex mode answers with a hex id and receipts in decimal; receiptIdFormat hex correlates them', async () => {
    const { port } = await startSimulator({ idFormat: 'hex' });
    const client = await connect(port);
    await bind(client);

    const response = await submit(client);
    const [pdu] = await received(client, 'deliver_sm');
    const receipt = receiptOf(pdu as smpp.PDU);

    expect(response.message_id).toBe('F4240');
    expect(receipt.smscId).toBe('1000000');
    expect(normaliseSmscId(receipt.smscId, 'hex', 'receipt')).toBe(normaliseSmscId('F4240', 'hex', 'response'));
    // The mismatch the setting exists for: as-is does not correlate them.
    expect(normaliseSmscId(receipt.smscId, 'as-is', 'receipt')).not.toBe(normaliseSmscId('F4240', 'as-is', 'response'));
  });

  it('sends text-only receipts without TLVs, and the configured outcome', async () => {
    const { port } = await startSimulator({ useReceiptTlvs: false, receiptStat: 'UNDELIV' });
    const client = await connect(port);
    await bind(client);

    await submit(client);
    const [pdu] = await received(client, 'deliver_sm');

    expect(pdu?.receipted_message_id).toBeUndefined();
    expect(pdu?.message_state).toBeUndefined();
    const receipt = parseReceiptText(messageText(pdu as smpp.PDU));
    expect(receipt).toMatchObject({ smscId: '1000000', state: 'UNDELIVERABLE', final: true, delivered: 0, errorCode: '001' });
  });

  it('sends no receipt when registered_delivery does not ask for one, or receiptDelayMs is -1', async () => {
    const { sim, port } = await startSimulator();
    const client = await connect(port);
    await bind(client);

    await submit(client, { registered_delivery: 0 });
    sim.behave({ receiptDelayMs: -1 });
    await submit(client, { registered_delivery: 1 });
    await sleep(100);

    expect(client.pdus.filter((p) => p.command === 'deliver_sm')).toHaveLength(0);
  });

  it('gives each part of a concatenated submit its own id and receipt', async () => {
    const { sim, port } = await startSimulator();
    const client = await connect(port);
    await bind(client);

    const first = await submit(client, { esm_class: 0x40, data_coding: 8, short_message: Buffer.concat([concatUdh(7, 2, 1), encodeUcs2('Привет, ')]) });
    const second = await submit(client, { esm_class: 0x40, data_coding: 8, short_message: Buffer.concat([concatUdh(7, 2, 2), encodeUcs2('мир')]) });
    const receipts = await received(client, 'deliver_sm', 2);

    expect(first.message_id).not.toBe(second.message_id);
    expect(receipts.map((r) => r.receipted_message_id).sort()).toEqual([first.message_id, second.message_id].sort());
    expect(sim.submits().map((s) => s.esmClass)).toEqual([0x40, 0x40]);
    // Non-GSM text is masked in the receipt's text field.
    expect(messageText(receipts[0] as smpp.PDU)).toMatch(/text:\?+, $/);
  });

  it('records TLVs by name, message_payload as its exact octets', async () => {
    const { sim, port } = await startSimulator({ receiptDelayMs: -1 });
    const client = await connect(port);
    await bind(client);
    const payload = encodeGsm7('{long} text in the payload');

    await submit(client, { short_message: Buffer.alloc(0), message_payload: payload, sar_msg_ref_num: 300, sar_total_segments: 2, sar_segment_seqnum: 1 });

    const [record] = sim.submits();
    expect(record?.shortMessage.length).toBe(0);
    expect(record?.tlvs).toEqual({ message_payload: payload, sar_msg_ref_num: 300, sar_total_segments: 2, sar_segment_seqnum: 1 });
  });

  it('sends the receipt before the submit_sm_resp when told to', async () => {
    const { port } = await startSimulator({ receiptBeforeResponse: true, receiptDelayMs: 500 });
    const client = await connect(port);
    await bind(client);

    await submit(client);

    const order = client.pdus.map((p) => p.command).filter((c) => c === 'deliver_sm' || c === 'submit_sm_resp');
    expect(order).toEqual(['deliver_sm', 'submit_sm_resp']);
  });

  it('delivers receipts to a receiver bind, keeping them until one binds', async () => {
    const { port } = await startSimulator();
    const transmitter = await connect(port);
    await bind(transmitter, 'transmitter');

    const response = await submit(transmitter);
    await sleep(50); // the receipt is due but nobody can receive it
    const receiver = await connect(port);
    await bind(receiver, 'receiver');
    const [pdu] = await received(receiver, 'deliver_sm');

    expect(pdu?.receipted_message_id).toBe(response.message_id);
    expect(transmitter.pdus.some((p) => p.command === 'deliver_sm')).toBe(false);
  });

  it('delivers a receipt again after a rebind when the session closed before it was answered', async () => {
    // Prepare: a client that never answers deliver_sm.
    const { port } = await startSimulator();
    const silent = await connect(port, { answerDeliverSm: false });
    await bind(silent);
    const response = await submit(silent);
    await received(silent, 'deliver_sm');
    // Act: the connection dies with the receipt unanswered; the ESME binds again.
    silent.session.destroy();
    await silent.closed;
    const again = await connect(port);
    await bind(again);
    // Assess: the SMSC delivers it again, as a real one does.
    const [pdu] = await received(again, 'deliver_sm');
    expect(pdu?.receipted_message_id).toBe(response.message_id);
  });

  it('delays submit_sm_resp by responseDelayMs', async () => {
    const { port } = await startSimulator({ responseDelayMs: 150 });
    const client = await connect(port);
    await bind(client);

    const started = performance.now();
    await submit(client);

    expect(performance.now() - started).toBeGreaterThanOrEqual(140);
  });
});

describe('SmscSimulator: refusals and faults', () => {
  it('refuses a wrong password with ESME_RINVPASWD and closes the connection', async () => {
    const { sim, port } = await startSimulator();
    const client = await connect(port);

    const response = await bind(client, 'transceiver', 'wrong');

    expect(response.command_status).toBe(0x0e);
    await withTimeout(client.closed, 2000, 'close after a refused bind');
    expect(sim.binds()).toEqual([]);
  });

  it('refuses an unknown system_id with ESME_RINVSYSID', async () => {
    const { port } = await startSimulator();
    const client = await connect(port);

    expect((await bind(client, 'transceiver', 'secret', 'someone')).command_status).toBe(0x0f);
  });

  it('refuses binds beyond maxBinds with ESME_RBINDFAIL', async () => {
    const { port } = await startSimulator({ maxBinds: 1 });
    const first = await connect(port);
    const second = await connect(port);

    expect((await bind(first)).command_status).toBe(0);
    expect((await bind(second)).command_status).toBe(0x0d);
  });

  it('answers a submit_sm before bind with ESME_RINVBNDSTS and a second bind with ESME_RALYBND', async () => {
    const { port } = await startSimulator();
    const client = await connect(port);

    expect((await submit(client)).command_status).toBe(0x04);
    await bind(client);
    expect((await bind(client)).command_status).toBe(0x05);
  });

  it('throttles beyond tps in a 1000 ms sliding window with ESME_RTHROTTLED', async () => {
    // Prepare
    const { sim, port } = await startSimulator({ tps: 10, receiptDelayMs: -1 });
    const client = await connect(port);
    await bind(client);

    // Act: a burst of 15, then one more once the window has moved on
    const burst = await Promise.all(Array.from({ length: 15 }, () => submit(client)));
    await sleep(1050);
    const later = await submit(client);

    // Assess
    const statuses = burst.map((r) => r.command_status);
    expect(statuses.slice(0, 10)).toEqual(new Array(10).fill(0));
    expect(statuses.slice(10)).toEqual(new Array(5).fill(0x58));
    expect(later.command_status).toBe(0);
    expect(sim.throttledCount()).toBe(5);
    const perSecond = sim.acceptedPerSecond();
    expect(perSecond.reduce((a, b) => a + b, 0)).toBe(11);
    expect(Math.max(...perSecond)).toBeLessThanOrEqual(10);
  });

  it('answers every submit_sm with rejectWith, until told otherwise', async () => {
    const { sim, port } = await startSimulator({ rejectWith: 0x45 });
    const client = await connect(port);
    await bind(client);

    const rejected = await submit(client);
    sim.behave({ rejectWith: undefined });
    const accepted = await submit(client);
    await sleep(50);

    expect(rejected.command_status).toBe(0x45);
    expect(rejected.message_id).toBeUndefined(); // an error response has no body
    expect(accepted.command_status).toBe(0);
    // Only the accepted message gets a receipt.
    expect(client.pdus.filter((p) => p.command === 'deliver_sm').map((p) => p.receipted_message_id)).toEqual([accepted.message_id]);
    expect(sim.submits().map((s) => s.commandStatus)).toEqual([0x45, 0]);
  });

  it('drops the connection on the Nth submit_sm without answering it, once', async () => {
    // Prepare
    const { sim, port } = await startSimulator({ dropAfterSubmits: 2, receiptDelayMs: -1 });
    const client = await connect(port);
    await bind(client);

    // Act
    const first = await submit(client);
    client.session.send(new smpp.PDU('submit_sm', { source_addr: 'Acme', destination_addr: '447700900123', short_message: encodeGsm7('lost') }));
    await withTimeout(client.closed, 2000, 'the simulator to drop the connection');
    const again = await connect(port);
    await bind(again);
    const afterwards = await Promise.all([submit(again), submit(again), submit(again)]);

    // Assess
    expect(first.command_status).toBe(0);
    expect(client.pdus.filter((p) => p.command === 'submit_sm_resp')).toHaveLength(1);
    expect(afterwards.map((r) => r.command_status)).toEqual([0, 0, 0]);
    expect(sim.submits().map((s) => s.commandStatus)).toEqual([0, -1, 0, 0, 0]);
  });
});

describe('SmscSimulator: what a carrier account limits', () => {
  it('counts the most binds open at once, not those opened over time', async () => {
    // Prepare
    const { sim, port } = await startSimulator();
    const [first, second, third] = [await connect(port), await connect(port), await connect(port)];

    // Act: two at once, one of them leaves, a third takes its place
    await bind(first!);
    await bind(second!);
    await request(first!, 'unbind');
    await withTimeout(first!.closed, 2000, 'close after unbind');
    await bind(third!);

    // Assess
    expect(sim.binds()).toHaveLength(2);
    expect(sim.peakBinds()).toBe(2);
  });

  it('counts peak binds again from those open at reset()', async () => {
    const { sim, port } = await startSimulator();
    const [first, second] = [await connect(port), await connect(port)];
    await bind(first!);
    await bind(second!);
    const closed = new Promise((resolve) => sim.once('close', resolve));
    second!.session.destroy();
    await withTimeout(closed, 2000, 'the simulator to see the second client go');

    sim.reset();
    const afterReset = sim.peakBinds();
    await bind(await connect(port));

    expect(afterReset).toBe(1);
    expect(sim.peakBinds()).toBe(2);
  });

  it('counts binds refused for being one too many (ESME_RBINDFAIL, ESME_RALYBND), not those refused for credentials', async () => {
    // Prepare
    const { sim, port } = await startSimulator({ maxBinds: 1 });
    const [first, second, third] = [await connect(port), await connect(port), await connect(port)];

    // Act
    await bind(first!);
    const beyondMax = await bind(second!);
    const again = await bind(first!);
    const wrongPassword = await bind(third!, 'transceiver', 'wrong');

    // Assess
    expect([beyondMax, again, wrongPassword].map((r) => r.command_status)).toEqual([0x0d, 0x05, 0x0e]);
    expect(sim.bindRefusals()).toBe(2);
    expect(sim.peakBinds()).toBe(1);
    sim.reset();
    expect(sim.bindRefusals()).toBe(0);
  });

  it('counts the most submit_sm received in any sliding window, whatever they were answered', async () => {
    // Prepare: the records' clock set by the test (the throttle keeps its own, real one)
    const { sim, port } = await startSimulator({ tps: 2, receiptDelayMs: -1 });
    const client = await connect(port);
    await bind(client);
    vi.useFakeTimers({ toFake: ['Date'], now: 0 });

    // Act: three at 0 ms (the third throttled), two at 999 ms, one at 1999 ms
    const atZero = await Promise.all([submit(client), submit(client), submit(client)]);
    vi.setSystemTime(999);
    await Promise.all([submit(client), submit(client)]);
    vi.setSystemTime(1999);
    await submit(client);

    // Assess
    expect(atZero.map((r) => r.command_status)).toContain(0x58);
    expect(sim.maxSubmitsInAnyWindow()).toBe(5); // 0 to 999; 1999 is a full second after 999
    expect(sim.maxSubmitsInAnyWindow(999)).toBe(3);
    expect(sim.maxSubmitsInAnyWindow(2000)).toBe(6);
    sim.reset();
    expect(sim.maxSubmitsInAnyWindow()).toBe(0);
  });
});

describe('SmscSimulator: session upkeep', () => {
  it('answers enquire_link', async () => {
    const { port } = await startSimulator();
    const client = await connect(port);
    await bind(client);

    const response = await request(client, 'enquire_link');

    expect(response.command).toBe('enquire_link_resp');
    expect(response.command_status).toBe(0);
  });

  it('answers an unknown command with generic_nack ESME_RINVCMDID', async () => {
    const { port } = await startSimulator();
    const client = await connect(port);
    const unknown = Buffer.alloc(16);
    unknown.writeUInt32BE(16, 0);
    unknown.writeUInt32BE(0x00000999, 4); // no such command_id
    unknown.writeUInt32BE(0, 8);
    unknown.writeUInt32BE(42, 12);

    client.session.socket.write(unknown);
    const [nack] = await received(client, 'generic_nack');

    expect(nack?.command_status).toBe(0x03);
    expect(nack?.sequence_number).toBe(42);
  });

  it('answers unbind with unbind_resp and closes', async () => {
    const { sim, port } = await startSimulator();
    const client = await connect(port);
    await bind(client);
    const unbound = new Promise<number>((resolve) => sim.once('unbind', (e) => resolve(e.session)));

    const response = await request(client, 'unbind');

    expect(response.command).toBe('unbind_resp');
    expect(await unbound).toBe(1);
    await withTimeout(client.closed, 2000, 'close after unbind');
  });

  it('emits bind, submit and receipt events', async () => {
    const { sim, port } = await startSimulator();
    const events: string[] = [];
    sim.on('bind', (e) => events.push(`bind:${e.type}:${e.commandStatus}`));
    sim.on('submit', (e) => events.push(`submit:${e.commandStatus}`));
    sim.on('receipt', (e) => events.push(`receipt:${e.stat}`));
    const client = await connect(port);

    await bind(client);
    await submit(client);
    await received(client, 'deliver_sm');

    expect(events).toEqual(['bind:transceiver:0', 'submit:0', 'receipt:DELIVRD']);
  });
});

describe('SmscSimulator: inbound (MO) messages', () => {
  it('delivers a 2-part UCS2 message as two deliver_sm with a concatenation UDH', async () => {
    // Prepare
    const { sim, port } = await startSimulator();
    const client = await connect(port);
    await bind(client);
    const text = 'Привет! Ответ на ваше сообщение 😀 — спасибо';

    // Act
    const statuses = await sim.sendInbound({ from: '447700900123', to: '12345', text, encoding: 'UCS2', parts: 2 });
    const parts = await received(client, 'deliver_sm', 2);

    // Assess
    expect(statuses).toEqual([0, 0]);
    const udhs = parts.map((p) => {
      const sm = p.short_message;
      return typeof sm === 'object' && sm !== null && 'udh' in sm && Array.isArray(sm.udh) ? Buffer.concat(sm.udh) : undefined;
    });
    const reference = udhs[0]?.[2];
    expect(udhs).toEqual([Buffer.from([0x00, 0x03, reference ?? -1, 2, 1]), Buffer.from([0x00, 0x03, reference ?? -1, 2, 2])]);
    for (const p of parts) {
      expect(p.esm_class).toBe(0x40);
      expect(p.data_coding).toBe(8);
      expect(p.source_addr).toBe('447700900123');
      expect(p.destination_addr).toBe('12345');
    }
    expect(parts.map(messageText).join('')).toBe(text);
  });

  it('delivers a single GSM message without UDH, and parts marked with SAR TLVs when asked', async () => {
    const { sim, port } = await startSimulator();
    const client = await connect(port);
    await bind(client, 'receiver');

    await sim.sendInbound({ from: '447700900123', to: 'Acme', text: 'Price: 5€ [ok]' });
    await sim.sendInbound({ from: '447700900123', to: 'Acme', text: 'one two three', parts: 3, useSar: true });
    const [single, ...sar] = await received(client, 'deliver_sm', 4);

    expect(single?.esm_class).toBe(0);
    expect(single?.data_coding).toBe(0);
    expect(messageText(single as smpp.PDU)).toBe('Price: 5€ [ok]');
    expect(sar.map((p) => [p.esm_class, p.sar_total_segments, p.sar_segment_seqnum])).toEqual([
      [0, 3, 1],
      [0, 3, 2],
      [0, 3, 3],
    ]);
    expect(new Set(sar.map((p) => p.sar_msg_ref_num)).size).toBe(1);
    expect(sar.map(messageText).join('')).toBe('one two three');
  });

  it('splits a long text the way the gateway does when parts is not given', async () => {
    const { sim, port } = await startSimulator();
    const client = await connect(port);
    await bind(client);

    await sim.sendInbound({ from: '447700900123', to: 'Acme', text: 'x'.repeat(200) });
    const parts = await received(client, 'deliver_sm', 2);

    expect(parts.map((p) => messageText(p).length)).toEqual([153, 47]);
  });

  it('with resend sends each deliver_sm again once it is answered, the same fields under a new sequence number, as after a lost deliver_sm_resp', async () => {
    const { sim, port } = await startSimulator();
    const client = await connect(port);
    await bind(client);

    const statuses = await sim.sendInbound({ from: '447700900123', to: '447700900000', text: 'Yes', resend: true });
    const [first, again] = await received(client, 'deliver_sm', 2);

    expect(statuses).toEqual([0, 0]);
    expect(again?.sequence_number).not.toBe(first?.sequence_number);
    expect([first, again].map((p) => [p?.source_addr, p?.destination_addr, messageText(p as smpp.PDU)])).toEqual([
      ['447700900123', '447700900000', 'Yes'],
      ['447700900123', '447700900000', 'Yes'],
    ]);
  });

  it('fails when no receiver is bound', async () => {
    const { sim, port } = await startSimulator();
    const client = await connect(port);
    await bind(client, 'transmitter');

    await expect(sim.sendInbound({ from: '1', to: '2', text: 'hi' })).rejects.toThrow(/no receiver or transceiver/);
  });
});

describe('the control port', () => {
  let controls: ControlServer[] = [];
  afterEach(async () => {
    await Promise.all(controls.map((c) => c.close()));
    controls = [];
  });

  async function controlFor(sim: SmscSimulator): Promise<(body: string, method?: string, path?: string) => Promise<{ status: number; body: any }>> {
    const control = await startControlServer(sim);
    controls.push(control);
    return async (body, method = 'POST', path = '/mo') => {
      const res = await fetch(`http://127.0.0.1:${control.port}${path}`, { method, headers: { 'content-type': 'application/json' }, ...(method === 'POST' ? { body } : {}) });
      return { status: res.status, body: await res.json() };
    };
  }

  it('sends an MO on demand to the bound receiver, its addresses digits with TON 1, and answers with the deliver_sm_resp statuses', async () => {
    // Prepare
    const { sim, port } = await startSimulator();
    const client = await connect(port);
    await bind(client);
    const post = await controlFor(sim);

    // Act
    const answer = await post(JSON.stringify({ from: '+447700900123', to: '+447700900000', text: 'Stop' }));
    const [deliver] = await received(client, 'deliver_sm');

    // Assess
    expect(answer).toEqual({ status: 200, body: { parts: 1, commandStatuses: [0] } });
    expect(deliver).toMatchObject({ source_addr: '447700900123', source_addr_ton: 1, destination_addr: '447700900000', dest_addr_ton: 1, esm_class: 0 });
    expect(messageText(deliver as smpp.PDU)).toBe('Stop');
  });

  it('sends an MO twice with "resend": true, and counts its parts once', async () => {
    const { sim, port } = await startSimulator();
    const client = await connect(port);
    await bind(client);
    const post = await controlFor(sim);

    const answer = await post(JSON.stringify({ from: '+447700900123', to: '+447700900000', text: 'Yes', resend: true }));
    await received(client, 'deliver_sm', 2);

    expect(answer).toEqual({ status: 200, body: { parts: 1, commandStatuses: [0, 0] } });
  });

  it('sends to a short code with TON 3, and a long text in parts', async () => {
    const { sim, port } = await startSimulator();
    const client = await connect(port);
    await bind(client);
    const post = await controlFor(sim);

    const answer = await post(JSON.stringify({ from: '447700900123', to: '60100', text: 'x'.repeat(200) }));
    const parts = await received(client, 'deliver_sm', 2);

    expect(answer.body).toEqual({ parts: 2, commandStatuses: [0, 0] });
    expect(parts.map((p) => [p.destination_addr, p.dest_addr_ton])).toEqual([
      ['60100', 3],
      ['60100', 3],
    ]);
  });

  it.each([
    ['not JSON', 'STOP', 'the body is not JSON'],
    ['without a text', JSON.stringify({ from: '+447700900123', to: '60100' }), 'text:'],
    ['with an empty sender', JSON.stringify({ from: ' ', to: '60100', text: 'STOP' }), 'from: must not be empty'],
    ['with a field it does not know', JSON.stringify({ from: '1', to: '2', text: 'STOP', when: 'now' }), 'when'],
    ['with 0 parts', JSON.stringify({ from: '1', to: '2', text: 'STOP', parts: 0 }), 'parts:'],
  ])('refuses a body %s with 400, naming the problem', async (_name, body, problem) => {
    const { sim } = await startSimulator();
    const post = await controlFor(sim);
    const answer = await post(body);
    expect(answer.status).toBe(400);
    expect(answer.body.error).toContain(problem);
  });

  it('answers 409 when no receiver is bound, and 404 or 405 off POST /mo', async () => {
    const { sim } = await startSimulator();
    const post = await controlFor(sim);
    expect(await post(JSON.stringify({ from: '1', to: '2', text: 'hi' }))).toEqual({ status: 409, body: { error: expect.stringMatching(/no receiver or transceiver/) } });
    expect((await post('{}', 'POST', '/other')).status).toBe(404);
    expect((await post('', 'GET')).status).toBe(405);
  });
});
