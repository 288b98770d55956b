/**
 * One SMPP session (one TCP or TLS connection, one bind) over the `smpp` package — the only
 * module of the gateway that imports it. It adds what the package lacks and hides its traps
 * (see core/types/smpp.d.ts):
 *
 * - a response timeout per request: a timed-out request rejects with
 *   {@link ResponseTimeoutError} and its late response is ignored;
 * - requests still waiting when the connection closes reject with {@link SessionClosedError};
 * - deliver_sm is answered only after the handler's promise settles, with the status it
 *   resolves to, or ESME_RX_T_APPN when it rejects (so the SMSC delivers it again);
 * - deliver_sm short_message is handed over as the exact octets received (the package
 *   only offers text decoded with its own lossy GSM table), its UDH read by the gateway's
 *   one parser (core/domain/udh.ts) and its text decoded with the gateway's GSM 03.38 /
 *   UCS-2 codecs;
 * - enquire_link and unbind from the SMSC are answered; an error listener is always attached
 *   (a session without one crashes the process) and a session whose reader failed is destroyed
 *   (the package stops reading after a parse error);
 * - TLS checks the SMSC's certificate (`rejectUnauthorized: true`) and waits for the handshake;
 * - fields left `undefined` are dropped before encoding (the package would send an undefined
 *   integer TLV as 0 and crash on an undefined message_payload);
 * - bind PDUs carry interface_version 0x34 (the package defaults to 0x50).
 *
 * @example
 * const session = await SmppSession.connect({ host, port, tls: true, timeoutMs: 10_000 });
 * session.onDeliver(async (d) => { await store(d); return 0; });
 * session.on('close', (info) => reconnectLater(info));
 * await session.bind('transceiver', { systemId, password }, 10_000);
 * const resp = await session.request('submit_sm', pdu, 15_000); // resp.messageId
 */
import { Buffer } from 'node:buffer';
import { EventEmitter } from 'node:events';
import * as smpp from 'smpp';
import { decodeGsm7, decodeUcs2, encodeGsm7 } from '../../core/domain/encoding';
import { readPduBody } from '../../core/domain/pdu-body';
import { ESM_CLASS_UDHI, parseUdh, type ConcatInfo, type ParsedUdh } from '../../core/domain/udh';

export type BindType = 'transceiver' | 'transmitter' | 'receiver';

/** Requests an ESME sends after binding. */
export type RequestCommand = 'submit_sm' | 'data_sm' | 'query_sm' | 'cancel_sm' | 'replace_sm' | 'enquire_link' | 'unbind';

/** command_status values the session itself answers with. */
export const ESME_ROK = 0x00000000;
export const ESME_RINVCMDID = 0x00000003;
/** Temporary application error: the SMSC should deliver the deliver_sm again later. */
export const ESME_RX_T_APPN = 0x00000064;

const SMPP_VERSION_3_4 = 0x34;

export interface SessionConnectOptions {
  host: string;
  port: number;
  /** TLS with certificate and host name checks. Default false. */
  tls?: boolean;
  /** Trusted CA certificate(s) (PEM) for a private SMSC certificate; default: the system's. */
  ca?: string | Buffer;
  /** Gives up connecting (TCP + TLS handshake) after this long. */
  timeoutMs: number;
}

export interface BindCredentials {
  systemId: string;
  password: string;
  systemType?: string;
  addrTon?: number;
  addrNpi?: number;
  addressRange?: string;
}

/** A response PDU, narrowed. */
export interface ResponsePdu {
  /** 'submit_sm_resp', ..., or 'generic_nack' when the SMSC could not read our request. */
  command: string;
  commandStatus: number;
  sequenceNumber: number;
  /** message_id of submit_sm_resp / data_sm_resp, as the SMSC wrote it. */
  messageId?: string;
  /** system_id of a bind response. */
  systemId?: string;
}

/** A received deliver_sm, narrowed; addresses as the SMSC sent them (no "+"). */
export interface DeliverSm {
  sourceAddr: string;
  sourceAddrTon: number;
  sourceAddrNpi: number;
  destinationAddr: string;
  destAddrTon: number;
  destAddrNpi: number;
  esmClass: number;
  dataCoding: number;
  /**
   * short_message octets as received, UDH included. When the raw PDU could not be captured
   * (`shortMessageExact` false) this is the package's decoded text encoded back: best effort.
   */
  shortMessage: Buffer;
  shortMessageExact: boolean;
  /** message_payload TLV octets, when present. */
  messagePayload?: Buffer;
  /** The UDH's information elements and concatenation info, when esm_class has UDHI (0x40). */
  udh?: Omit<ParsedUdh, 'payload'>;
  /** The user data after the UDH, from short_message or, when that is empty, message_payload. */
  payload: Buffer;
  /**
   * `payload` decoded by data_coding (0/0xF0-0xF3 GSM 03.38, 1 IA5, 3 Latin-1, 8 UCS-2);
   * undefined for binary or unsupported codings and when decoding failed (see `decodeProblem`).
   */
  text?: string;
  decodeProblem?: string;
  /** receipted_message_id TLV (0x001E). */
  receiptedMessageId?: string;
  /** message_state TLV (0x0427). */
  messageState?: number;
  /** sar_msg_ref_num / sar_total_segments / sar_segment_seqnum TLVs, when all three are present. */
  sar?: ConcatInfo;
}

/** Resolves to the command_status to answer the deliver_sm with; rejecting answers ESME_RX_T_APPN. */
export type DeliverHandler = (deliver: DeliverSm) => Promise<number>;

export interface SessionCloseInfo {
  /** The error that ended the session, if any (socket error, TLS failure, unreadable PDU). */
  error?: Error;
  /** The SMSC sent unbind. */
  unboundByPeer: boolean;
  /** destroy() or unbind() was called on this side. */
  local: boolean;
}

export type SessionState = 'open' | 'bound' | 'unbinding' | 'closed';

/** No response within the request's timeout; the outcome of the request is unknown. */
export class ResponseTimeoutError extends Error {
  constructor(
    readonly command: string,
    readonly timeoutMs: number,
  ) {
    super(`no ${command}_resp within ${timeoutMs} ms`);
    this.name = 'ResponseTimeoutError';
  }
}

/** The connection closed (or was not writable) before the response; the outcome is unknown. */
export class SessionClosedError extends Error {
  constructor(readonly command: string) {
    super(`session closed before the ${command}_resp`);
    this.name = 'SessionClosedError';
  }
}

/** The SMSC answered the bind with a non-zero command_status. */
export class BindRefusedError extends Error {
  constructor(readonly commandStatus: number) {
    super(`bind refused with command_status 0x${commandStatus.toString(16).padStart(8, '0')}`);
    this.name = 'BindRefusedError';
  }
}

/** No TCP connection / TLS handshake within the connect timeout. */
export class ConnectTimeoutError extends Error {
  constructor(readonly timeoutMs: number) {
    super(`no connection within ${timeoutMs} ms`);
    this.name = 'ConnectTimeoutError';
  }
}

interface PendingRequest {
  command: string;
  fail: (error: Error) => void;
}

type SessionEvents = { close: [SessionCloseInfo]; error: [Error] };

export class SmppSession extends EventEmitter<SessionEvents> {
  private readonly raw: smpp.Session;
  private readonly pending = new Set<PendingRequest>();
  /** Octets read for the PDU being parsed (see the constructor). */
  private chunks: Buffer[] = [];
  private deliverHandler: DeliverHandler | undefined;
  private currentState: SessionState = 'open';
  private boundAs: BindType | undefined;
  private lastError: Error | undefined;
  private unboundByPeer = false;
  private closedLocally = false;
  private readonly closed: Promise<SessionCloseInfo>;

  /**
   * Opens a connection and resolves once it is usable (after the TLS handshake with TLS).
   * Rejects on a connection error, a certificate the system (or `ca`) does not trust, or the timeout.
   */
  static connect(options: SessionConnectOptions): Promise<SmppSession> {
    const tls = options.tls === true;
    const raw = smpp.connect({
      host: options.host,
      port: options.port,
      tls,
      ...(tls ? { rejectUnauthorized: true, ...(options.ca !== undefined ? { ca: options.ca } : {}) } : {}),
    });
    const session = new SmppSession(raw);
    return new Promise<SmppSession>((resolve, reject) => {
      const timer = setTimeout(() => {
        session.off('close', onClose);
        session.destroy();
        reject(new ConnectTimeoutError(options.timeoutMs));
      }, options.timeoutMs);
      const onClose = (info: SessionCloseInfo): void => {
        clearTimeout(timer);
        reject(info.error ?? new Error('connection closed while connecting'));
      };
      session.once('close', onClose);
      // The package emits 'connect' for TLS too, at TCP connect, before the handshake.
      raw.once(tls ? 'secureConnect' : 'connect', () => {
        clearTimeout(timer);
        session.off('close', onClose);
        raw.socket.setNoDelay(true); // PDUs are small and pipelined: no Nagle delay
        resolve(session);
      });
    });
  }

  private constructor(raw: smpp.Session) {
    super();
    this.raw = raw;
    // Always listen for errors: an 'error' without a listener crashes the process. After a
    // parse error the package never reads again, so the session is finished either way.
    raw.on('error', (error) => {
      this.lastError ??= error;
      if (this.listenerCount('error') > 0) this.emit('error', error);
      raw.destroy();
    });
    // The package reads each PDU with socket.read(n) from a 'readable' listener; with that
    // listener in charge, 'data' is emitted for exactly the chunks read (and does not switch the
    // socket to flowing mode), so the chunks since the last PDU are that PDU's octets.
    raw.socket.on('data', (chunk: Buffer) => this.chunks.push(chunk));
    raw.on('pdu', (pdu) => {
      const bytes = this.chunks.length === 1 ? this.chunks[0] : Buffer.concat(this.chunks);
      this.chunks = [];
      this.onPdu(pdu, bytes !== undefined && bytes.length === pdu.command_length ? bytes : undefined);
    });
    this.closed = new Promise<SessionCloseInfo>((resolve) => {
      raw.on('close', () => {
        if (this.currentState === 'closed') return;
        this.currentState = 'closed';
        for (const request of [...this.pending]) request.fail(new SessionClosedError(request.command));
        this.pending.clear();
        const info: SessionCloseInfo = {
          ...(this.lastError ? { error: this.lastError } : {}),
          unboundByPeer: this.unboundByPeer,
          local: this.closedLocally,
        };
        resolve(info);
        this.emit('close', info);
      });
    });
  }

  get state(): SessionState {
    return this.currentState;
  }

  /** How this session is bound, once bound. */
  get bindType(): BindType | undefined {
    return this.boundAs;
  }

  /** Requests sent and not yet answered (nor timed out). */
  outstanding(): number {
    return this.pending.size;
  }

  /** Resolves when the connection has closed. */
  whenClosed(): Promise<SessionCloseInfo> {
    return this.closed;
  }

  /** Sets the deliver_sm handler; set it before binding so no deliver_sm finds none. */
  onDeliver(handler: DeliverHandler): void {
    this.deliverHandler = handler;
  }

  /** Binds with interface_version 0x34. Rejects with {@link BindRefusedError} on a non-zero status. */
  async bind(type: BindType, credentials: BindCredentials, timeoutMs: number): Promise<{ systemId: string }> {
    const response = await this.send(
      `bind_${type}`,
      {
        system_id: credentials.systemId,
        password: credentials.password,
        system_type: credentials.systemType ?? '',
        interface_version: SMPP_VERSION_3_4,
        addr_ton: credentials.addrTon ?? 0,
        addr_npi: credentials.addrNpi ?? 0,
        address_range: credentials.addressRange ?? '',
      },
      timeoutMs,
    );
    if (response.commandStatus !== ESME_ROK) throw new BindRefusedError(response.commandStatus);
    if (this.currentState === 'open') this.currentState = 'bound';
    this.boundAs = type;
    return { systemId: response.systemId ?? '' };
  }

  /**
   * Sends a request and resolves with its response, whatever its command_status. Rejects with
   * {@link ResponseTimeoutError} after `timeoutMs` (a later response is ignored) or
   * {@link SessionClosedError} when the connection closes first. `params` use the
   * specification's field and TLV names; Buffers go on the wire as they are.
   */
  request(command: RequestCommand, params: object, timeoutMs: number): Promise<ResponsePdu> {
    return this.send(command, params, timeoutMs);
  }

  /** enquire_link; rejects like {@link request} when no enquire_link_resp comes in time. */
  async enquireLink(timeoutMs: number): Promise<void> {
    await this.send('enquire_link', {}, timeoutMs);
  }

  /**
   * Sends unbind, waits for unbind_resp (at most `timeoutMs`), then closes the connection.
   * Resolves true when the SMSC acknowledged, false otherwise; never rejects.
   */
  async unbind(timeoutMs: number): Promise<boolean> {
    if (this.currentState === 'closed') return false;
    this.currentState = 'unbinding';
    this.closedLocally = true;
    let acknowledged = false;
    try {
      const response = await this.send('unbind', {}, timeoutMs);
      acknowledged = response.command === 'unbind_resp';
    } catch {
      acknowledged = false;
    }
    if (this.state !== 'closed') {
      this.raw.close();
      const timer = setTimeout(() => this.raw.destroy(), Math.min(timeoutMs, 1000));
      await this.closed;
      clearTimeout(timer);
    }
    return acknowledged;
  }

  /** Closes the connection at once; waiting requests reject with {@link SessionClosedError}. */
  destroy(): void {
    this.closedLocally = true;
    this.raw.destroy();
  }

  private send(command: string, params: object, timeoutMs: number): Promise<ResponsePdu> {
    if (this.currentState === 'closed') return Promise.reject(new SessionClosedError(command));
    return new Promise<ResponsePdu>((resolve, reject) => {
      let settled = false;
      const finish = (): boolean => {
        if (settled) return false;
        settled = true;
        clearTimeout(timer);
        this.pending.delete(request);
        return true;
      };
      const request: PendingRequest = { command, fail: (error) => finish() && reject(error) };
      const timer = setTimeout(() => finish() && reject(new ResponseTimeoutError(command, timeoutMs)), timeoutMs);
      this.pending.add(request);
      let written: boolean;
      try {
        written = this.raw.send(new smpp.PDU(command, definedFields(params)), (response) => {
          if (finish()) resolve(narrowResponse(response));
        });
      } catch (error) {
        // Encoding failed (e.g. a short_message over 254 octets): nothing was sent.
        request.fail(error instanceof Error ? error : new Error(String(error)));
        return;
      }
      if (!written) request.fail(new SessionClosedError(command));
    });
  }

  private onPdu(pdu: smpp.PDU, raw: Buffer | undefined): void {
    if (pdu.isResponse()) return; // matched to its request by the package (late ones are ignored)
    switch (pdu.command) {
      case 'deliver_sm':
        this.onDeliverSm(pdu, raw);
        return;
      case 'enquire_link':
        this.reply(pdu.response());
        return;
      case 'unbind':
        this.unboundByPeer = true;
        this.currentState = 'unbinding';
        this.reply(pdu.response(), () => this.raw.close());
        return;
      case 'alert_notification':
        return; // has no response PDU (pdu.response() would throw)
      case 'unknown':
        this.reply(pdu.response()); // generic_nack ESME_RINVCMDID
        return;
      default:
        this.reply(pdu.response({ command_status: ESME_RINVCMDID }));
    }
  }

  private onDeliverSm(pdu: smpp.PDU, raw: Buffer | undefined): void {
    const handler = this.deliverHandler;
    let deliver: DeliverSm;
    try {
      deliver = readDeliverSm(pdu, raw);
    } catch {
      // Not even the fields could be read: answer so the session goes on; the SMSC resends.
      this.reply(pdu.response({ command_status: ESME_RX_T_APPN }));
      return;
    }
    const answer = (status: number): void => {
      const valid = Number.isInteger(status) && status >= 0 && status <= 0xffffffff;
      this.reply(pdu.response(valid && status !== ESME_ROK ? { command_status: status } : valid ? {} : { command_status: ESME_RX_T_APPN }));
    };
    if (!handler) return answer(ESME_RX_T_APPN);
    // Answer only once the handler has settled: until it has recorded the deliver_sm, a crash
    // would lose it, and only an unanswered (or RX_T_APPN-answered) deliver_sm is sent again.
    Promise.resolve()
      .then(() => handler(deliver))
      .then(answer, () => answer(ESME_RX_T_APPN));
  }

  private reply(pdu: smpp.PDU, onSent?: () => void): void {
    if (this.currentState === 'closed') return;
    try {
      this.raw.send(pdu, undefined, onSent ? () => onSent() : undefined);
    } catch (error) {
      this.lastError ??= error instanceof Error ? error : new Error(String(error));
      this.raw.destroy();
    }
  }
}

// ---- narrowing ---------------------------------------------------------------------------

function definedFields(params: object): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(params)) if (value !== undefined) out[key] = value;
  return out;
}

const str = (value: unknown): string | undefined => (typeof value === 'string' ? value : undefined);
const int = (value: unknown): number => (typeof value === 'number' && Number.isInteger(value) ? value : 0);
const optInt = (value: unknown): number | undefined => (typeof value === 'number' && Number.isInteger(value) ? value : undefined);

function narrowResponse(pdu: smpp.PDU): ResponsePdu {
  const messageId = str(pdu.message_id);
  const systemId = str(pdu.system_id);
  return {
    command: pdu.command,
    commandStatus: pdu.command_status,
    sequenceNumber: pdu.sequence_number,
    ...(messageId !== undefined ? { messageId } : {}),
    ...(systemId !== undefined ? { systemId } : {}),
  };
}

const TAG_MESSAGE_PAYLOAD = 0x0424;

/** The package's decoded `{ message, udh }` encoded back to octets (for when raw capture failed). */
function reencode(value: unknown, dataCoding: number): Buffer | undefined {
  if (Buffer.isBuffer(value)) return value;
  if (typeof value !== 'object' || value === null || !('message' in value)) return undefined;
  const { message, udh } = value as { message: unknown; udh?: unknown };
  let body: Buffer;
  if (Buffer.isBuffer(message)) body = message;
  else if (typeof message !== 'string') return undefined;
  else if (dataCoding === 8) body = Buffer.from(message, 'utf16le').swap16();
  else if (dataCoding === 3 || dataCoding === 1) body = Buffer.from(message, 'latin1');
  else {
    try {
      body = encodeGsm7(message); // the package's GSM table is the standard one: no unknown characters
    } catch {
      return undefined;
    }
  }
  const ies = Array.isArray(udh) ? udh.filter((ie): ie is Buffer => Buffer.isBuffer(ie)) : [];
  if (ies.length === 0) return body;
  const header = Buffer.concat(ies);
  return Buffer.concat([Buffer.from([header.length]), header, body]);
}

/** Text for a data_coding, undefined for binary and unsupported codings. Throws on undecodable data. */
function decodeText(bytes: Buffer, dataCoding: number): string | undefined {
  if (dataCoding === 0x00 || (dataCoding >= 0xf0 && (dataCoding & 0x04) === 0)) return decodeGsm7(bytes);
  if (dataCoding === 0x01 || dataCoding === 0x03) return bytes.toString('latin1');
  if (dataCoding === 0x08) return decodeUcs2(bytes);
  return undefined;
}

function readDeliverSm(pdu: smpp.PDU, raw: Buffer | undefined): DeliverSm {
  const esmClass = int(pdu.esm_class);
  const dataCoding = int(pdu.data_coding);
  const body = raw ? readPduBody(raw) : undefined;
  const shortMessage = body?.shortMessage ?? reencode(pdu.short_message, dataCoding) ?? Buffer.alloc(0);
  const payloadTlv = body?.tlvs.get(TAG_MESSAGE_PAYLOAD) ?? reencode(pdu.message_payload, dataCoding);
  const content = shortMessage.length > 0 || payloadTlv === undefined ? shortMessage : payloadTlv;

  const deliver: DeliverSm = {
    sourceAddr: str(pdu.source_addr) ?? '',
    sourceAddrTon: int(pdu.source_addr_ton),
    sourceAddrNpi: int(pdu.source_addr_npi),
    destinationAddr: str(pdu.destination_addr) ?? '',
    destAddrTon: int(pdu.dest_addr_ton),
    destAddrNpi: int(pdu.dest_addr_npi),
    esmClass,
    dataCoding,
    shortMessage,
    shortMessageExact: body !== undefined,
    payload: content,
  };
  if (payloadTlv !== undefined) deliver.messagePayload = payloadTlv;
  try {
    if (esmClass & ESM_CLASS_UDHI) {
      const { payload, ...udh } = parseUdh(content);
      deliver.udh = udh;
      deliver.payload = payload;
    }
    const text = decodeText(deliver.payload, dataCoding);
    if (text !== undefined) deliver.text = text;
  } catch (error) {
    deliver.decodeProblem = error instanceof Error ? error.message : String(error);
  }
  const receiptedMessageId = str(pdu.receipted_message_id);
  if (receiptedMessageId !== undefined) deliver.receiptedMessageId = receiptedMessageId;
  const messageState = optInt(pdu.message_state);
  if (messageState !== undefined) deliver.messageState = messageState;
  const reference = optInt(pdu.sar_msg_ref_num);
  const total = optInt(pdu.sar_total_segments);
  const sequence = optInt(pdu.sar_segment_seqnum);
  if (reference !== undefined && total !== undefined && sequence !== undefined) deliver.sar = { reference, total, sequence };
  return deliver;
}
