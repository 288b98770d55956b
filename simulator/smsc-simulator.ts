/**
 * An SMSC simulator: an SMPP 3.4 server, built on the `smpp` package, that behaves like a
 * carrier's SMSC closely enough to test the gateway against it — bind checks, TPS limits
 * (ESME_RTHROTTLED), rejections, slow responses, dropped connections, delivery receipts
 * (text format and TLVs, hex/decimal id mismatch, receipts racing ahead of submit_sm_resp)
 * and inbound (MO) messages, single or concatenated.
 *
 * It records every PDU it receives, so tests can assess what the gateway sent, and counts
 * what a carrier account's limits are about: the most binds open at once, the most submit_sm
 * in any second, and the binds it refused for being one too many.
 *
 * @example
 * const sim = new SmscSimulator({ systemId: 'gw', password: 'secret', tps: 10 });
 * const port = await sim.start();          // port 0: any free port on 127.0.0.1
 * // ... bind a client to smpp://127.0.0.1:${port}, submit ...
 * sim.submits();                           // what was submitted and what was answered
 * sim.peakBinds();                         // the most binds open at once
 * sim.maxSubmitsInAnyWindow();             // the most submit_sm received in any 1000 ms
 * await sim.stop();
 */
import { EventEmitter } from 'node:events';
import { performance } from 'node:perf_hooks';
import * as smpp from 'smpp';
import { readPduBody } from '../core/domain/pdu-body';
import { decodeGsm7, decodeUcs2, encodeGsm7, encodeUcs2, isGsm7, splitText, type Encoding } from '../core/domain/encoding';
import { concatUdh, ESM_CLASS_UDHI, parseUdh } from '../core/domain/udh';
import { maxInAnyWindow } from './sliding-window';

export type ReceiptStat = 'DELIVRD' | 'UNDELIV' | 'EXPIRED' | 'REJECTD';

export interface SimulatorOptions {
  /** The only system_id accepted; another gets ESME_RINVSYSID. Default 'gw'. */
  systemId: string;
  /** A wrong password gets ESME_RINVPASWD (0x0E). Default 'secret'. */
  password: string;
  /** Delay before a delivery receipt is sent; -1 never sends receipts. Default 50. */
  receiptDelayMs: number;
  /** The outcome every receipt reports. Default 'DELIVRD'. */
  receiptStat: ReceiptStat;
  /** More than `tps` submit_sm in any 1000 ms sliding window get ESME_RTHROTTLED (0x58). Default: no limit. */
  tps?: number;
  /** Answer every submit_sm with this command_status. Default: accept. */
  rejectWith?: number;
  /** Delay before each submit_sm_resp. Default 0. */
  responseDelayMs: number;
  /**
   * 'decimal': ids are a decimal counter. 'hex': submit_sm_resp carries the counter in hex
   * while the receipt carries the same number in decimal, as many real SMSCs do (the
   * gateway's carrier setting receiptIdFormat 'hex'). Default 'decimal'.
   */
  idFormat: 'decimal' | 'hex';
  /** Send the receipt before the submit_sm_resp (the race the gateway must survive). Default false. */
  receiptBeforeResponse: boolean;
  /**
   * Send each receipt on another bind of the account than the one its submit_sm came on, when
   * there is one (SMSCs deliver receipts on any receiver bind of the account). Default false.
   */
  receiptsOnAnotherBind?: boolean;
  /** Add receipted_message_id and message_state TLVs to receipts. Default true. */
  useReceiptTlvs: boolean;
  /** Destroy the TCP connection on the Nth submit_sm received (leaving it unanswered), once. Default: never. */
  dropAfterSubmits?: number;
  /** Refuse binds beyond this many open ones with ESME_RBINDFAIL. Default: no limit. */
  maxBinds?: number;
  /** The first SMSC message id handed out (a counter from there). Default 1000000. Give each run its own, as a real SMSC never reuses ids. */
  firstMessageId?: number;
  /** Where to write diagnostic lines. Default: nowhere (the simulator never writes to stdout itself). */
  log?: (line: string) => void;
}

export const DEFAULT_SIMULATOR_OPTIONS: Readonly<SimulatorOptions> = Object.freeze({
  systemId: 'gw',
  password: 'secret',
  receiptDelayMs: 50,
  receiptStat: 'DELIVRD',
  responseDelayMs: 0,
  idFormat: 'decimal',
  receiptBeforeResponse: false,
  useReceiptTlvs: true,
});

/** A PDU the simulator received. `pdu` holds the fields as the `smpp` package decoded them. */
export interface ReceivedPdu {
  /** Epoch milliseconds. */
  at: number;
  /** Connection number, from 1 in order of connection. */
  session: number;
  command: string;
  pdu: Record<string, unknown>;
}

/** A submit_sm and what the simulator answered. */
export interface SubmitRecord {
  at: number;
  session: number;
  /** The id returned in submit_sm_resp (hex in 'hex' mode); undefined when not accepted. */
  smscId: string | undefined;
  /** The id the receipt carries (decimal); undefined when not accepted. */
  receiptId: string | undefined;
  source: string;
  destination: string;
  /** The exact short_message octets (UDH included). */
  shortMessage: Buffer;
  esmClass: number;
  dataCoding: number;
  registeredDelivery: number;
  /** TLVs by name (numeric ones as numbers, message_payload as its exact octets, unknown tags as '0x1234': Buffer). */
  tlvs: Record<string, unknown>;
  /** The command_status answered; -1 when the connection was dropped instead (dropAfterSubmits). */
  commandStatus: number;
}

export interface InboundMessage {
  from: string;
  to: string;
  text: string;
  /** Default: GSM7 when every character is in the GSM alphabet, else UCS2. */
  encoding?: Encoding;
  /** Force this many parts (text split evenly). Default: as many as the text needs (160/153 septets, 70/67 units). */
  parts?: number;
  /** Mark parts with SAR TLVs instead of a concatenation UDH. Default false. */
  useSar?: boolean;
  /**
   * Send each deliver_sm a second time once it is answered, with a new sequence number, as an SMSC
   * does whose response timer expired before the deliver_sm_resp came (a response lost or late).
   * Default false.
   */
  resend?: boolean;
}

export type BindType = 'transceiver' | 'transmitter' | 'receiver';

export interface BindEvent {
  session: number;
  type: BindType;
  systemId: string;
  /** 0 when bound, else the refusal's command_status. */
  commandStatus: number;
}

export interface ReceiptEvent {
  session: number;
  receiptId: string;
  stat: ReceiptStat;
}

export type SimulatorEvents = {
  bind: [BindEvent];
  submit: [SubmitRecord];
  receipt: [ReceiptEvent];
  unbind: [{ session: number }];
  close: [{ session: number }];
};

interface Connection {
  id: number;
  session: smpp.Session;
  bound?: { type: BindType; systemId: string };
  /** Octets read for the PDU being parsed (see accept()). */
  pending: Buffer[];
  closed: boolean;
  /** Receipts sent on this session and not yet answered with deliver_sm_resp. */
  unacked: Set<PendingReceipt>;
}

interface PendingReceipt {
  systemId: string;
  fields: smpp.PduOptions;
  event: Omit<ReceiptEvent, 'session'>;
}

const BIND_COMMANDS: Readonly<Record<string, BindType>> = {
  bind_transceiver: 'transceiver',
  bind_transmitter: 'transmitter',
  bind_receiver: 'receiver',
};

/** Requests the simulator recognises but does not implement: answered with ESME_RINVCMDID. */
const UNSUPPORTED = new Set(['submit_multi', 'data_sm', 'query_sm', 'cancel_sm', 'replace_sm', 'broadcast_sm', 'query_broadcast_sm', 'cancel_broadcast_sm']);

const STATUS = {
  ok: 0x00,
  invalidCommand: 0x03,
  invalidBindStatus: 0x04,
  alreadyBound: 0x05,
  bindFailed: 0x0d,
  invalidPassword: 0x0e,
  invalidSystemId: 0x0f,
  throttled: 0x58,
} as const;

const MESSAGE_STATE: Readonly<Record<ReceiptStat, number>> = { DELIVRD: 2, EXPIRED: 3, UNDELIV: 5, REJECTD: 8 };

const FIRST_MESSAGE_ID = 1_000_000; // hex F4240: hex and decimal forms differ, as they do in the field

function checkOptions(o: SimulatorOptions): void {
  const nonNegativeInt = (name: string, v: number | undefined, min = 0): void => {
    if (v !== undefined && (!Number.isInteger(v) || v < min)) throw new RangeError(`SmscSimulator: ${name} must be an integer >= ${min}, got ${v}`);
  };
  nonNegativeInt('receiptDelayMs', o.receiptDelayMs, -1);
  nonNegativeInt('responseDelayMs', o.responseDelayMs);
  nonNegativeInt('dropAfterSubmits', o.dropAfterSubmits, 1);
  nonNegativeInt('maxBinds', o.maxBinds);
  nonNegativeInt('rejectWith', o.rejectWith);
  if (o.tps !== undefined && !(o.tps > 0)) throw new RangeError(`SmscSimulator: tps must be > 0, got ${o.tps}`);
  if (!(o.receiptStat in MESSAGE_STATE)) throw new RangeError(`SmscSimulator: receiptStat must be one of ${Object.keys(MESSAGE_STATE).join(', ')}`);
}

function str(value: unknown): string {
  return typeof value === 'string' ? value : '';
}

function int(value: unknown): number {
  return typeof value === 'number' && Number.isInteger(value) ? value : 0;
}

/** YYMMDDhhmm in UTC, as receipts write dates. */
function receiptDate(d: Date): string {
  const two = (n: number): string => String(n).padStart(2, '0');
  return `${two(d.getUTCFullYear() % 100)}${two(d.getUTCMonth() + 1)}${two(d.getUTCDate())}${two(d.getUTCHours())}${two(d.getUTCMinutes())}`;
}

/** The first characters of a submitted text for the receipt's `text:` field, in characters GSM and ASCII share. */
function receiptSnippet(body: Buffer, dataCoding: number, esmClass: number): string {
  let text: string;
  try {
    const payload = esmClass & ESM_CLASS_UDHI && body.length > 0 ? parseUdh(body).payload : body;
    if (dataCoding === 8) text = decodeUcs2(payload);
    else if (dataCoding === 0 || dataCoding === 1) text = decodeGsm7(payload);
    else if (dataCoding === 3) text = payload.toString('latin1');
    else text = '';
  } catch {
    text = '';
  }
  // Receipts travel as data_coding 0: keep to the characters whose GSM and ASCII codes agree.
  return Array.from(text)
    .slice(0, 20)
    .map((ch) => (/^[ !"#%&'()*+,\-./0-9:;<=>?A-Za-z]$/.test(ch) ? ch : '?'))
    .join('');
}

/** Splits a text into exactly `parts` pieces of near-equal length, never inside a surrogate pair. */
function splitEvenly(text: string, parts: number): string[] {
  const chars = Array.from(text);
  const out: string[] = [];
  for (let i = 0; i < parts; i++) {
    out.push(chars.slice(Math.round((i * chars.length) / parts), Math.round(((i + 1) * chars.length) / parts)).join(''));
  }
  return out;
}

export class SmscSimulator extends EventEmitter<SimulatorEvents> {
  /** Every PDU received, in order. */
  readonly records: ReceivedPdu[] = [];

  private options: SimulatorOptions;
  private server: smpp.Server | undefined;
  private readonly connections = new Set<Connection>();
  private readonly submitRecords: SubmitRecord[] = [];
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly pendingReceipts: PendingReceipt[] = [];
  /** performance.now() of each submit_sm answered in the last second (not throttled ones). */
  private window: number[] = [];
  private dropCountdown: number | undefined;
  /** The most bound sessions open at once since start or reset(). */
  private peakBound = 0;
  /** Binds refused with ESME_RBINDFAIL or ESME_RALYBND since start or reset(). */
  private refusedBinds = 0;
  private nextConnectionId = 1;
  private nextMessageId = FIRST_MESSAGE_ID;
  private nextInboundReference = 1;
  private receiverCursor = 0;

  constructor(options: Partial<SimulatorOptions> = {}) {
    super();
    this.options = { ...DEFAULT_SIMULATOR_OPTIONS, ...options };
    checkOptions(this.options);
    this.dropCountdown = this.options.dropAfterSubmits;
    this.nextMessageId = this.options.firstMessageId ?? FIRST_MESSAGE_ID;
  }

  /** Listens on `host:port` (port 0: any free port) and resolves with the actual port. */
  async start(port = 0, host = '127.0.0.1'): Promise<number> {
    if (this.server) throw new Error('SmscSimulator: already started');
    const server = smpp.createServer({}, (session) => this.accept(session));
    this.server = server;
    try {
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(port, host, () => {
          server.off('error', reject);
          resolve();
        });
      });
    } catch (error) {
      this.server = undefined;
      throw error;
    }
    server.on('error', (error: Error) => this.log(`server error: ${error.message}`));
    const address = server.address();
    if (address === null || typeof address === 'string') throw new Error('SmscSimulator: not listening on a TCP port');
    this.log(`listening on ${host}:${address.port}`);
    return address.port;
  }

  /** Closes every connection and the listener; pending responses and receipts are dropped. */
  async stop(): Promise<void> {
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    for (const connection of this.connections) connection.session.destroy();
    const server = this.server;
    this.server = undefined;
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /** The port listened on, or undefined before start(). */
  get port(): number | undefined {
    const address = this.server?.address();
    return address && typeof address === 'object' ? address.port : undefined;
  }

  /** Changes behaviour at run time; setting dropAfterSubmits re-arms the drop, counting from now. */
  behave(partial: Partial<SimulatorOptions>): void {
    const next = { ...this.options, ...partial };
    checkOptions(next);
    this.options = next;
    if ('dropAfterSubmits' in partial) this.dropCountdown = partial.dropAfterSubmits;
    if ('tps' in partial) this.window = [];
  }

  /** Every submit_sm received and what was answered. */
  submits(): SubmitRecord[] {
    return [...this.submitRecords];
  }

  /** Accepted submit_sm per wall-clock second, from the first second with one to the last (empty seconds are 0). */
  acceptedPerSecond(): number[] {
    const seconds = this.submitRecords.filter((s) => s.commandStatus === STATUS.ok).map((s) => Math.floor(s.at / 1000));
    if (seconds.length === 0) return [];
    const first = seconds.reduce((a, b) => Math.min(a, b));
    const last = seconds.reduce((a, b) => Math.max(a, b));
    const counts = new Array<number>(last - first + 1).fill(0);
    for (const s of seconds) counts[s - first] = (counts[s - first] ?? 0) + 1;
    return counts;
  }

  throttledCount(): number {
    return this.submitRecords.filter((s) => s.commandStatus === STATUS.throttled).length;
  }

  /** Open sessions that are bound, by type. */
  binds(): Array<{ session: number; type: BindType; systemId: string }> {
    return [...this.connections].flatMap((c) => (c.bound && !c.closed ? [{ session: c.id, ...c.bound }] : []));
  }

  /** The most bound sessions open at once since start, or since reset() (from the binds open then). */
  peakBinds(): number {
    return this.peakBound;
  }

  /**
   * The most submit_sm received in any sliding window of `windowMs` (default 1000): every one
   * counts, whatever it was answered (throttled, refused, dropped), since each reached the SMSC.
   * From the records' `at`, so since start or reset().
   */
  maxSubmitsInAnyWindow(windowMs = 1000): number {
    return maxInAnyWindow(this.submitRecords.map((s) => s.at), windowMs);
  }

  /** Binds refused for being one too many: ESME_RBINDFAIL (beyond maxBinds) and ESME_RALYBND (bound already), since start or reset(). */
  bindRefusals(): number {
    return this.refusedBinds;
  }

  /** Forgets recorded PDUs, submits and bind refusals, and counts peak binds from those open now (not the behaviour, nor the id counter). */
  reset(): void {
    this.records.length = 0;
    this.submitRecords.length = 0;
    this.window = [];
    this.peakBound = this.binds().length;
    this.refusedBinds = 0;
  }

  /**
   * Sends an inbound (MO) message to a bound receiver or transceiver: one deliver_sm per
   * part, esm_class 0x40 with a concatenation UDH (or SAR TLVs) when there are several.
   * Resolves with the deliver_sm_resp command_status of each part (of each copy, with `resend`).
   */
  async sendInbound(message: InboundMessage): Promise<number[]> {
    const connection = this.pickReceiver(undefined);
    if (!connection) throw new Error('SmscSimulator: no receiver or transceiver bind to deliver an inbound message to');
    const encoding = message.encoding ?? (isGsm7(message.text) ? 'GSM7' : 'UCS2');
    if (message.parts !== undefined && (!Number.isInteger(message.parts) || message.parts < 1 || message.parts > 255)) {
      throw new RangeError(`SmscSimulator: parts must be 1-255, got ${message.parts}`);
    }
    const parts = message.parts !== undefined ? splitEvenly(message.text, message.parts) : splitText(message.text, encoding).parts;
    const reference = this.nextInboundReference++ & 0xff;
    const total = parts.length;
    const statuses: number[] = [];
    for (const [i, part] of parts.entries()) {
      const body = encoding === 'UCS2' ? encodeUcs2(part) : encodeGsm7(part);
      const fields: smpp.PduOptions = {
        source_addr_ton: 1,
        source_addr_npi: 1,
        source_addr: message.from,
        dest_addr_ton: /^[0-9]{3,8}$/.test(message.to) ? 3 : 1,
        dest_addr_npi: 1,
        destination_addr: message.to,
        data_coding: encoding === 'UCS2' ? 8 : 0,
        esm_class: 0,
        short_message: body,
      };
      if (total > 1 && message.useSar) {
        fields.sar_msg_ref_num = reference;
        fields.sar_total_segments = total;
        fields.sar_segment_seqnum = i + 1;
      } else if (total > 1) {
        fields.esm_class = ESM_CLASS_UDHI;
        fields.short_message = Buffer.concat([concatUdh(reference, total, i + 1), body]);
      }
      for (let copy = 0; copy < (message.resend ? 2 : 1); copy++) {
        const response = await this.request(connection, 'deliver_sm', fields);
        statuses.push(response.command_status);
      }
    }
    return statuses;
  }

  // ---- sessions -------------------------------------------------------------------------

  private accept(session: smpp.Session): void {
    const connection: Connection = { id: this.nextConnectionId++, session, pending: [], closed: false, unacked: new Set() };
    this.connections.add(connection);
    // With a 'readable' listener in charge (the package reads PDUs with socket.read(n)),
    // 'data' is emitted for exactly the chunks read: the octets of the PDU being parsed.
    session.socket.on('data', (chunk: Buffer) => connection.pending.push(chunk));
    session.on('pdu', (pdu) => {
      const raw = Buffer.concat(connection.pending);
      connection.pending = [];
      this.onPdu(connection, pdu, raw.length === pdu.command_length ? raw : undefined);
    });
    session.on('error', (error) => {
      // The package cannot recover from a malformed PDU (it stops reading): close like an SMSC would.
      this.log(`session ${connection.id} error: ${error.message}`);
      session.destroy();
    });
    session.on('close', () => {
      connection.closed = true;
      this.connections.delete(connection);
      // As an SMSC does: receipts the ESME never answered are delivered again after it rebinds.
      for (const receipt of connection.unacked) this.pendingReceipts.push(receipt);
      connection.unacked.clear();
      this.log(`session ${connection.id} closed`);
      this.emit('close', { session: connection.id });
    });
    this.log(`session ${connection.id} connected`);
  }

  private onPdu(connection: Connection, pdu: smpp.PDU, raw: Buffer | undefined): void {
    const at = Date.now();
    this.records.push({ at, session: connection.id, command: pdu.command, pdu: { ...pdu } });
    const bindType = BIND_COMMANDS[pdu.command];
    if (bindType) return this.onBind(connection, pdu, bindType);
    switch (pdu.command) {
      case 'submit_sm':
        return this.onSubmit(connection, pdu, raw, at);
      case 'enquire_link':
        this.send(connection, pdu.response());
        return;
      case 'unbind':
        connection.bound = undefined; // no more receipts or inbound messages to this session
        this.send(connection, pdu.response(), () => connection.session.close());
        this.emit('unbind', { session: connection.id });
        return;
      case 'unknown':
        // An unrecognised command_id: generic_nack with ESME_RINVCMDID.
        this.send(connection, pdu.response());
        return;
      default:
        // Responses (deliver_sm_resp, ...) and generic_nack are only recorded.
        if (UNSUPPORTED.has(pdu.command)) this.send(connection, pdu.response({ command_status: STATUS.invalidCommand }));
    }
  }

  private onBind(connection: Connection, pdu: smpp.PDU, type: BindType): void {
    const systemId = str(pdu.system_id);
    const o = this.options;
    let status: number = STATUS.ok;
    if (connection.bound) status = STATUS.alreadyBound;
    else if (systemId !== o.systemId) status = STATUS.invalidSystemId;
    else if (str(pdu.password) !== o.password) status = STATUS.invalidPassword;
    else if (o.maxBinds !== undefined && this.binds().length >= o.maxBinds) status = STATUS.bindFailed;

    this.emit('bind', { session: connection.id, type, systemId, commandStatus: status });
    if (status === STATUS.bindFailed || status === STATUS.alreadyBound) this.refusedBinds++;
    if (status === STATUS.alreadyBound) {
      this.send(connection, pdu.response({ command_status: status }));
      return;
    }
    if (status !== STATUS.ok) {
      this.log(`session ${connection.id} bind refused: 0x${status.toString(16)}`);
      this.send(connection, pdu.response({ command_status: status }), () => connection.session.close());
      return;
    }
    connection.bound = { type, systemId };
    this.peakBound = Math.max(this.peakBound, this.binds().length);
    this.send(connection, pdu.response({ system_id: 'SMSCSIM' }));
    this.log(`session ${connection.id} bound as ${type}`);
    if (type !== 'transmitter') this.flushPendingReceipts();
  }

  private onSubmit(connection: Connection, pdu: smpp.PDU, raw: Buffer | undefined, at: number): void {
    const o = this.options;
    const body = raw ? readPduBody(raw) : undefined;
    if (!body) this.log(`session ${connection.id} submit_sm: could not read the raw octets; shortMessage recorded empty`);
    const tlvs: Record<string, unknown> = {};
    for (const [tag, value] of body?.tlvs ?? []) {
      const name = smpp.tlvsById[tag]?.tag;
      if (name === undefined) tlvs[`0x${tag.toString(16).padStart(4, '0')}`] = value;
      else tlvs[name] = name === 'message_payload' || pdu[name] === undefined ? value : pdu[name];
    }
    const record: SubmitRecord = {
      at,
      session: connection.id,
      smscId: undefined,
      receiptId: undefined,
      source: str(pdu.source_addr),
      destination: str(pdu.destination_addr),
      shortMessage: body?.shortMessage ?? Buffer.alloc(0),
      esmClass: int(pdu.esm_class),
      dataCoding: int(pdu.data_coding),
      registeredDelivery: int(pdu.registered_delivery),
      tlvs,
      commandStatus: STATUS.ok,
    };

    const canSubmit = connection.bound !== undefined && connection.bound.type !== 'receiver';
    if (canSubmit && this.dropCountdown !== undefined && --this.dropCountdown <= 0) {
      this.dropCountdown = undefined;
      record.commandStatus = -1;
      this.submitRecords.push(record);
      this.log(`session ${connection.id} dropped after a submit_sm (dropAfterSubmits)`);
      connection.session.destroy();
      this.emit('submit', record);
      return;
    }

    const now = performance.now();
    this.window = this.window.filter((t) => now - t < 1000);
    if (!canSubmit) record.commandStatus = STATUS.invalidBindStatus;
    else if (o.tps !== undefined && this.window.length >= o.tps) record.commandStatus = STATUS.throttled;
    else if (o.rejectWith !== undefined && o.rejectWith !== STATUS.ok) record.commandStatus = o.rejectWith;
    if (canSubmit && record.commandStatus !== STATUS.throttled) this.window.push(now);

    let response: smpp.PDU;
    if (record.commandStatus === STATUS.ok) {
      const n = this.nextMessageId++;
      record.smscId = o.idFormat === 'hex' ? n.toString(16).toUpperCase() : String(n);
      record.receiptId = String(n);
      response = pdu.response({ message_id: record.smscId });
    } else {
      response = pdu.response({ command_status: record.commandStatus });
    }
    this.submitRecords.push(record);
    this.emit('submit', record);

    const respond = (): void => this.later(o.responseDelayMs, () => this.send(connection, response));
    const wantsReceipt = record.receiptId !== undefined && o.receiptDelayMs >= 0 && this.receiptRequested(record.registeredDelivery, o.receiptStat);
    if (!wantsReceipt || record.receiptId === undefined) return respond();

    const receipt = this.buildReceipt(connection, record, pdu, at, o.receiptStat);
    if (o.receiptBeforeResponse) {
      // Answer only once the receipt is on the wire, so it arrives first even on another bind.
      if (!this.deliverReceipt(receipt, connection, respond)) respond();
    } else {
      respond();
      this.later(o.receiptDelayMs, () => this.deliverReceipt(receipt, connection));
    }
  }

  /** registered_delivery bits 0-1: 1 every final outcome, 2 failures only, 3 successes only (SMPP 5.0). */
  private receiptRequested(registeredDelivery: number, stat: ReceiptStat): boolean {
    switch (registeredDelivery & 0x03) {
      case 1:
        return true;
      case 2:
        return stat !== 'DELIVRD';
      case 3:
        return stat === 'DELIVRD';
      default:
        return false;
    }
  }

  private buildReceipt(connection: Connection, record: SubmitRecord, pdu: smpp.PDU, submittedAt: number, stat: ReceiptStat): PendingReceipt {
    const receiptId = record.receiptId ?? '';
    const delivered = stat === 'DELIVRD';
    const payload = record.tlvs.message_payload;
    const snippet =
      record.shortMessage.length === 0 && Buffer.isBuffer(payload)
        ? receiptSnippet(payload, record.dataCoding, 0)
        : receiptSnippet(record.shortMessage, record.dataCoding, record.esmClass);
    const text =
      `id:${receiptId} sub:001 dlvrd:${delivered ? '001' : '000'} submit date:${receiptDate(new Date(submittedAt))} ` +
      `done date:${receiptDate(new Date())} stat:${stat} err:${delivered ? '000' : '001'} text:${snippet}`;
    const fields: smpp.PduOptions = {
      // A receipt comes from the handset back to the sender.
      source_addr_ton: int(pdu.dest_addr_ton),
      source_addr_npi: int(pdu.dest_addr_npi),
      source_addr: record.destination,
      dest_addr_ton: int(pdu.source_addr_ton),
      dest_addr_npi: int(pdu.source_addr_npi),
      destination_addr: record.source,
      esm_class: 0x04,
      data_coding: 0,
      short_message: Buffer.from(text, 'ascii'),
    };
    if (this.options.useReceiptTlvs) {
      fields.receipted_message_id = receiptId;
      fields.message_state = MESSAGE_STATE[stat];
    }
    return { systemId: connection.bound?.systemId ?? this.options.systemId, fields, event: { receiptId, stat } };
  }

  /** Sends a receipt now, or keeps it until a receiver binds (as an SMSC stores receipts). */
  private deliverReceipt(receipt: PendingReceipt, preferred: Connection | undefined, onSent?: () => void): boolean {
    const target = this.pickReceiver(preferred, receipt.systemId);
    if (!target) {
      this.pendingReceipts.push(receipt);
      return false;
    }
    target.unacked.add(receipt);
    const onResponse = (response: smpp.PDU): void => {
      target.unacked.delete(receipt);
      // Not accepted (e.g. ESME_RX_T_APPN): try again a second later, as an SMSC retries.
      if (response.command_status !== 0) setTimeout(() => void this.deliverReceipt(receipt, undefined), 1000).unref();
    };
    const sent = target.session.send(new smpp.PDU('deliver_sm', { ...receipt.fields }), onResponse, () => onSent?.());
    if (!sent) {
      target.unacked.delete(receipt);
      this.pendingReceipts.push(receipt);
      return false;
    }
    this.emit('receipt', { session: target.id, ...receipt.event });
    return true;
  }

  private flushPendingReceipts(): void {
    const waiting = this.pendingReceipts.splice(0);
    for (const receipt of waiting) this.deliverReceipt(receipt, undefined);
  }

  /** The submitting session when it can receive (another one with receiptsOnAnotherBind), else bound receivers/transceivers in turn. */
  private pickReceiver(preferred: Connection | undefined, systemId?: string): Connection | undefined {
    const canReceive = (c: Connection): boolean =>
      !c.closed && c.bound !== undefined && c.bound.type !== 'transmitter' && (systemId === undefined || c.bound.systemId === systemId);
    const others = preferred && this.options.receiptsOnAnotherBind ? [...this.connections].filter((c) => c !== preferred && canReceive(c)) : [];
    if (others.length > 0) return others[this.receiverCursor++ % others.length];
    if (preferred && canReceive(preferred)) return preferred;
    const candidates = [...this.connections].filter(canReceive);
    if (candidates.length === 0) return undefined;
    return candidates[this.receiverCursor++ % candidates.length];
  }

  private request(connection: Connection, command: string, fields: smpp.PduOptions): Promise<smpp.PDU> {
    return new Promise((resolve, reject) => {
      const onClose = (): void => reject(new Error(`SmscSimulator: session ${connection.id} closed before the ${command}_resp`));
      connection.session.once('close', onClose);
      const sent = connection.session.send(new smpp.PDU(command, fields), (response) => {
        connection.session.off('close', onClose);
        resolve(response);
      });
      if (!sent) {
        connection.session.off('close', onClose);
        reject(new Error(`SmscSimulator: session ${connection.id} is not writable`));
      }
    });
  }

  private send(connection: Connection, pdu: smpp.PDU, onSent?: () => void): void {
    if (connection.closed) return;
    connection.session.send(pdu, undefined, onSent ? () => onSent() : undefined);
  }

  private later(delayMs: number, action: () => void): void {
    if (delayMs <= 0) return action();
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      action();
    }, delayMs);
    this.timers.add(timer);
  }

  private log(line: string): void {
    this.options.log?.(line);
  }
}
