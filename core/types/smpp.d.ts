/**
 * Minimal types for the `smpp` package (0.5.x, untyped JavaScript): what a server (the
 * SMSC simulator) and a client (the worker's session wrapper) use. Field values read
 * from a PDU are `unknown` unless listed: narrow them at the protocol edge.
 *
 * Behaviours worth knowing (see lib/pdu.js, lib/defs.js):
 * - A PDU built with a non-zero command_status has NO body: `pdu.response({ command_status })`
 *   sends the header only (no message_id), and the constructor ignores the other options.
 * - `short_message` / `message_payload` given as a string are encoded by the package
 *   (GSM "ASCII", LATIN1 or UCS2) and, when data_coding is not given, data_coding is set to
 *   0x01 / 0x03 / 0x08 — not 0x00. Pass a Buffer (and data_coding explicitly) to send exact
 *   bytes; `{ udh, message }` prepends the UDH and sets esm_class 0x40.
 * - On receive, `short_message` is decoded into `{ message, udh? }`: `message` is a string for
 *   data_coding 0/1 (GSM table), 3 (latin1) and 8 (UCS2), a Buffer otherwise; `udh` is the
 *   list of information elements (each `[iei, len, ...data]`) when esm_class has 0x40.
 * - Bind PDUs default to interface_version 0x50 (SMPP 5.0): pass 0x34 for 3.4.
 * - A session without an 'error' listener crashes the process on a socket error.
 */
declare module 'smpp' {
  import { EventEmitter } from 'node:events';
  import type { Server as NetServer, Socket } from 'node:net';

  /** Options for a PDU: parameter and TLV names of the SMPP specification. */
  export type PduOptions = Record<string, unknown>;

  /** A decoded short_message or message_payload. */
  export interface DecodedMessage {
    message: string | Buffer;
    udh?: Buffer[];
  }

  export class PDU {
    constructor(command: string, options?: PduOptions);
    /** A command name such as 'submit_sm', or 'unknown' for an unrecognised command_id. */
    command: string;
    command_id: number;
    command_length: number;
    command_status: number;
    sequence_number: number;
    // Common fields; which exist depends on the command.
    system_id?: unknown;
    password?: unknown;
    message_id?: unknown;
    source_addr?: unknown;
    destination_addr?: unknown;
    esm_class?: unknown;
    data_coding?: unknown;
    registered_delivery?: unknown;
    short_message?: unknown;
    message_payload?: unknown;
    receipted_message_id?: unknown;
    message_state?: unknown;
    [field: string]: unknown;
    isResponse(): boolean;
    /** The response to this request (generic_nack with ESME_RINVCMDID for an unknown command). */
    response(options?: PduOptions): PDU;
    toBuffer(): Buffer;
    static fromBuffer(buffer: Buffer): PDU | false;
    static maxLength: number;
  }

  export type ResponseCallback = (pdu: PDU) => void;

  /** A shortcut such as `session.submit_sm(options, onResponse)`; returns false when the socket is not writable. */
  export interface CommandShortcut {
    (options: PduOptions, responseCallback?: ResponseCallback, sendCallback?: ResponseCallback): boolean;
    (responseCallback?: ResponseCallback, sendCallback?: ResponseCallback): boolean;
  }

  export interface SessionOptions {
    url?: string;
    host?: string;
    port?: number;
    tls?: boolean;
    /** Milliseconds between automatic enquire_link requests (client sessions). */
    auto_enquire_link_period?: number;
    socket?: Socket;
    [option: string]: unknown;
  }

  export class Session extends EventEmitter {
    constructor(options: SessionOptions);
    readonly socket: Socket;
    /** The server that accepted this session (server side only). */
    server?: Server;
    options: SessionOptions;
    sequence: number;
    paused: boolean;
    /** Sends a request or response PDU; false (and nothing sent) when the socket is not writable. */
    send(pdu: PDU, responseCallback?: ResponseCallback, sendCallback?: ResponseCallback): boolean;
    /** Ends the socket gracefully. */
    close(callback?: () => void): void;
    /** Destroys the socket at once. */
    destroy(callback?: () => void): void;
    connect(): void;
    pause(): void;
    resume(): void;

    bind_transceiver: CommandShortcut;
    bind_transmitter: CommandShortcut;
    bind_receiver: CommandShortcut;
    submit_sm: CommandShortcut;
    submit_multi: CommandShortcut;
    deliver_sm: CommandShortcut;
    data_sm: CommandShortcut;
    query_sm: CommandShortcut;
    cancel_sm: CommandShortcut;
    replace_sm: CommandShortcut;
    enquire_link: CommandShortcut;
    unbind: CommandShortcut;
    generic_nack: CommandShortcut;
    outbind: CommandShortcut;
    alert_notification: CommandShortcut;

    on(event: 'error', listener: (error: Error) => void): this;
    on(event: 'close' | 'connect' | 'secureConnect', listener: () => void): this;
    /** 'pdu' for every PDU, then the command name ('submit_sm', 'deliver_sm_resp', 'unknown', ...). */
    on(event: string, listener: (pdu: PDU) => void): this;
    once(event: 'error', listener: (error: Error) => void): this;
    once(event: 'close' | 'connect' | 'secureConnect', listener: () => void): this;
    once(event: string, listener: (pdu: PDU) => void): this;
  }

  export interface ServerOptions {
    /** With key and cert, a TLS server is created. */
    key?: string | Buffer;
    cert?: string | Buffer;
    [option: string]: unknown;
  }

  export class Server extends NetServer {
    sessions: Session[];
    on(event: 'session', listener: (session: Session) => void): this;
    on(event: string, listener: (...args: any[]) => void): this;
    once(event: 'session', listener: (session: Session) => void): this;
    once(event: string, listener: (...args: any[]) => void): this;
  }

  export function createServer(options?: ServerOptions, sessionListener?: (session: Session) => void): Server;
  export function createServer(sessionListener: (session: Session) => void): Server;

  /** `smpp://host:port` (or `ssmpp://` for TLS), or options with `url` or `host`/`port`. */
  export function connect(url?: string | SessionOptions, listener?: () => void): Session;
  export const createSession: typeof connect;

  export function addCommand(command: string, options: { id: number; params?: Record<string, unknown> }): void;
  export function addTLV(tag: string, options: { id: number; type: unknown; multiple?: boolean }): void;

  /** command_status values by name (ESME_ROK, ESME_RTHROTTLED, ...). */
  export const errors: Readonly<Record<string, number>>;
  export const consts: {
    readonly REGISTERED_DELIVERY: Readonly<Record<string, number>>;
    readonly ESM_CLASS: Readonly<Record<string, number>>;
    readonly MESSAGE_STATE: Readonly<Record<string, number>>;
    readonly TON: Readonly<Record<string, number>>;
    readonly NPI: Readonly<Record<string, number>>;
    readonly ENCODING: Readonly<Record<string, number>>;
  };
  /** The TLV table by name: tag number and name (as used for PDU fields). */
  export const tlvs: Readonly<Record<string, { readonly id: number; readonly tag: string }>>;
  /** The TLV table by tag number. Unknown TLVs appear on a received PDU under their decimal tag as a Buffer. */
  export const tlvsById: Readonly<Record<number, { readonly id: number; readonly tag: string }>>;
  /** The package's text encoders; `encodings.default` is used for data_coding 0. */
  export const encodings: {
    default: string;
    [name: string]: unknown;
  };

  export const ESME_ROK: number;
  export const ESME_RINVMSGLEN: number;
  export const ESME_RINVCMDID: number;
  export const ESME_RINVBNDSTS: number;
  export const ESME_RALYBND: number;
  export const ESME_RSYSERR: number;
  export const ESME_RINVSRCADR: number;
  export const ESME_RINVDSTADR: number;
  export const ESME_RBINDFAIL: number;
  export const ESME_RINVPASWD: number;
  export const ESME_RINVSYSID: number;
  export const ESME_RMSGQFUL: number;
  export const ESME_RSUBMITFAIL: number;
  export const ESME_RTHROTTLED: number;
}
