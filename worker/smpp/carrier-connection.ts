/**
 * The SMPP side of one carrier: its binds, kept up, and the submit path through them.
 *
 * - Binds: `carrier.binds` transceivers, or a transmitter and a receiver per bind
 *   ('transmitter-receiver'). Each is kept up on its own: enquire_link every
 *   enquireLinkSeconds with a watchdog (no enquire_link_resp within the response timeout →
 *   destroy and reconnect), reconnect with exponential backoff and full jitter. A bind refused
 *   for a bind reason (0x0D/0x0E/0x0F: credentials, account, bind count) opens a circuit
 *   breaker for every bind of the carrier for a long pause: a refusing SMSC is never hammered.
 * - Submit: segment by segment, in order, each on the least-loaded bound session with room
 *   in its window (`carrier.window` outstanding submit_sm per bind), under one sliding-window
 *   limit of `carrier.tps` segments per second shared by all binds. A part waits for its
 *   response before the next is sent, so a rejected part stops the message.
 * - Outcomes: 'accepted' with one SMSC id per PDU; 'rejected' with the classified
 *   command_status (throttling also slows the limiter down); 'unknown' when no response came
 *   (timeout) or the connection was lost first — the caller must retry, never drop.
 * - deliver_sm: receipt, inbound or malformed, handed to `onDeliver`; deliver_sm_resp is
 *   sent only after onDeliver resolves (ESME_RX_T_APPN when it rejects or takes too long, so
 *   the SMSC delivers it again).
 *
 * Logs are `log(EVENT, data)` with stable event names (see {@link CarrierEvent}); message
 * text is never passed to it. Numbers are passed under `to` for the log function to mask
 * (worker/main.ts's `log` masks them like every other log line of the gateway).
 *
 * @example
 * const connection = new CarrierConnection({ carrier, password, log, onDeliver: (d) => inbox.record(d) });
 * connection.start();
 * await connection.whenReady(10_000);
 * const outcome = await connection.submit(buildSubmitPdus(message, carrier.splitMode));
 * // on SIGTERM:
 * await connection.stop(10_000);
 */
import type { CarrierConfig } from '../../core/config/schema';
import { classifyCommandStatus, commandStatusName, formatCommandStatus } from '../../core/domain/command-status';
import { isReceiptParseError, receiptFromTlvs, type Receipt } from '../../core/domain/receipt';
import type { SubmitSmParams } from '../../core/domain/submit-pdus';
import { isUsableConcat, type ConcatInfo } from '../../core/domain/udh';
import { LimiterClosedError, SlidingWindowLimiter } from './rate-limiter';
import {
  BindRefusedError,
  ResponseTimeoutError,
  SessionClosedError,
  SmppSession,
  type BindType,
  type DeliverSm,
  type ResponsePdu,
  type SessionCloseInfo,
} from './session';

/** Lifecycle events logged by a carrier connection. */
export type CarrierEvent =
  | 'BIND_UP'
  | 'BIND_LOST'
  | 'BIND_FAILED'
  | 'BIND_REFUSED'
  | 'THROTTLED'
  | 'SUBMIT_TIMEOUT'
  | 'SUBMIT_REJECTED'
  | 'RECEIPT_MALFORMED'
  | 'INBOUND_MALFORMED'
  | 'DELIVER_FAILED';

/** Every timing, overridable (tests use milliseconds where production uses minutes). */
export interface CarrierTiming {
  /** First reconnect delay ceiling; doubles per failed attempt (full jitter). Default 1000. */
  backoffBaseMs?: number;
  /** Reconnect delay ceiling. Default 60000. */
  backoffCapMs?: number;
  /** Pause of every bind after a bind refusal (0x0D/0x0E/0x0F). Default 300000 (5 min). */
  breakerPauseMs?: number;
  /** enquire_link interval. Default carrier.enquireLinkSeconds. */
  enquireLinkMs?: number;
  /** Wait for any response (bind, submit_sm, enquire_link). Default carrier.responseTimeoutSeconds. */
  responseTimeoutMs?: number;
  /** TCP connect + TLS handshake. Default: the response timeout. */
  connectTimeoutMs?: number;
  /** Longest wait of a segment for a window slot while no bind is up. Default: the response timeout. */
  slotWaitMs?: number;
  /** A bind up this long resets the reconnect backoff. Default 30000. */
  stableAfterMs?: number;
  /** onDeliver taking longer is answered ESME_RX_T_APPN (the SMSC delivers again). Default 30000. */
  deliverTimeoutMs?: number;
  /** How long the rate stays halved after throttling before it recovers. Default 5000. */
  throttleHoldMs?: number;
  /** Safety margin added to the 1000 ms rate window (absorbs timer and transit jitter). Default 15. */
  rateMarginMs?: number;
  /** Wait for unbind_resp on stop. Default min(response timeout, 5000). */
  unbindTimeoutMs?: number;
}

export interface CarrierConnectionOptions {
  carrier: CarrierConfig;
  password: string;
  /** Must mask the numbers under `to`, `from`, `destination`, `source` (worker/main.ts's `log` does). */
  log: (event: string, data: Record<string, unknown>) => void;
  /** Resolve once the receipt / inbound message is durably recorded: only then is deliver_sm answered. */
  onDeliver: (d: InboundPdu) => Promise<void>;
  /** Called with the number of binds able to submit whenever it changes. */
  onBindsChanged?: (up: number) => void;
  /** Trusted CA (PEM) for a TLS SMSC with a private certificate. */
  tlsCa?: string | Buffer;
  /** Monotonic clock in ms. Default performance.now(). */
  now?: () => number;
  timing?: CarrierTiming;
}

/** The deliver_sm as received, for recording (not for logs: it holds numbers and text). */
export interface DeliverRaw {
  sourceAddr: string;
  destinationAddr: string;
  esmClass: number;
  dataCoding: number;
  /** Exact short_message octets (UDH included). */
  shortMessage: Buffer;
  messagePayload?: Buffer;
  receiptedMessageId?: string;
  messageState?: number;
}

export type InboundPdu =
  | { kind: 'receipt'; receipt: Receipt; raw: DeliverRaw }
  | {
      kind: 'inbound';
      /** E.164 with "+" when the SMSC marked it international (TON 1), else as sent. */
      from: string;
      to: string;
      dataCoding: number;
      text: string;
      /** From a concatenation UDH (IEI 0x00 / 0x08) or SAR TLVs. */
      concat?: ConcatInfo;
    }
  | { kind: 'malformed'; reason: string; esmClass: number; raw?: DeliverRaw };

export type SubmitOutcome =
  | { kind: 'accepted'; smscIds: string[] }
  | { kind: 'rejected'; status: { code: number; name: string; kind: string; retryable: boolean }; acceptedSmscIds: string[] }
  | { kind: 'unknown'; reason: 'timeout' | 'connection_lost'; acceptedSmscIds: string[] };

/** One bind's state, for health reports and metrics. */
export interface BindStatus {
  index: number;
  type: BindType;
  up: boolean;
  /** submit_sm sent and unanswered, plus segments holding a window slot while waiting for the rate limit. */
  outstanding: number;
}

export interface CarrierConnectionStatus {
  bindsUp: number;
  binds: BindStatus[];
  /** Segments per second the limiter currently allows. */
  rate: number;
  /** Milliseconds until the circuit breaker lets binds try again; 0 when closed. */
  circuitOpenForMs: number;
}

/** Bind refusals that are configuration faults: credentials, system id, account or bind count. */
const BIND_REFUSALS: ReadonlySet<number> = new Set([0x0d, 0x0e, 0x0f]);

const DEFAULTS = {
  backoffBaseMs: 1000,
  backoffCapMs: 60_000,
  breakerPauseMs: 300_000,
  stableAfterMs: 30_000,
  deliverTimeoutMs: 30_000,
  throttleHoldMs: 5000,
  rateMarginMs: 15,
} as const;

const THROTTLE_FACTOR = 0.5;
/** Throttled later parts of one message sent again in place before the message is given back. */
const MAX_PART_THROTTLE_RETRIES = 10;

type ResolvedTiming = Required<CarrierTiming>;

interface BindLink {
  index: number;
  type: BindType;
  session: SmppSession | undefined;
  up: boolean;
  upSince: number;
  /** Window slots held (sent or about to be sent on this bind). */
  reserved: number;
  /** Failed attempts since the last stable bind (drives the backoff). */
  attempts: number;
  /** Why this side is ending the session, for BIND_LOST. */
  lostReason: string | undefined;
  enquireTimer: NodeJS.Timeout | undefined;
  enquiring: boolean;
}

interface SlotWaiter {
  preferred: BindLink | undefined;
  resolve: (link: BindLink | undefined) => void;
  timer: NodeJS.Timeout;
}

/** Resolves after `ms`, or at once when `signal` aborts. */
function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise<void>((resolve) => {
    if (signal?.aborted) return resolve();
    const done = (): void => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, Math.max(0, ms));
    signal?.addEventListener('abort', done, { once: true });
  });
}

/** Resolves when `promise` settles or after `ms`, whichever comes first (and leaves no timer behind). */
async function settledWithin(promise: Promise<unknown>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const expiry = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, Math.max(0, ms));
  });
  await Promise.race([promise.then(noop, noop), expiry]);
  clearTimeout(timer);
}

const noop = (): void => undefined;

function errorReason(error: unknown): string {
  if (error instanceof BindRefusedError) return `bind_refused_${formatCommandStatus(error.commandStatus)}`;
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    return typeof code === 'string' ? code : error.name === 'Error' ? error.message.slice(0, 120) : error.name;
  }
  return String(error).slice(0, 120);
}

/**
 * esm_class message type (bits 2-5) 0x04, SMSC delivery receipt, or 0x20, intermediate delivery
 * notification (same format, a non-final state): both are receipts, never inbound messages.
 */
function isReceiptType(esmClass: number): boolean {
  const messageType = esmClass & 0x3c;
  return messageType === 0x04 || messageType === 0x20;
}

function e164(addr: string, ton: number): string {
  return ton === 1 && /^[0-9]+$/.test(addr) ? `+${addr}` : addr;
}

export class CarrierConnection {
  private readonly carrier: CarrierConfig;
  private readonly opts: CarrierConnectionOptions;
  private readonly timing: ResolvedTiming;
  private readonly now: () => number;
  private readonly limiter: SlidingWindowLimiter;
  private readonly links: BindLink[] = [];
  private readonly slotWaiters: SlotWaiter[] = [];
  private readonly operations = new Set<Promise<SubmitOutcome>>();
  private readonly readyWaiters = new Set<() => void>();
  private readonly abort = new AbortController();
  private loops: Promise<void>[] = [];
  private started = false;
  private stopping = false;
  private stopped: Promise<void> | undefined;
  private circuitOpenUntil = -Infinity;
  private reportedUp = 0;
  private cursor = 0;

  constructor(opts: CarrierConnectionOptions) {
    this.opts = opts;
    this.carrier = opts.carrier;
    this.now = opts.now ?? (() => performance.now());
    const t = opts.timing ?? {};
    const responseTimeoutMs = t.responseTimeoutMs ?? this.carrier.responseTimeoutSeconds * 1000;
    this.timing = {
      backoffBaseMs: t.backoffBaseMs ?? DEFAULTS.backoffBaseMs,
      backoffCapMs: t.backoffCapMs ?? DEFAULTS.backoffCapMs,
      breakerPauseMs: t.breakerPauseMs ?? DEFAULTS.breakerPauseMs,
      enquireLinkMs: t.enquireLinkMs ?? this.carrier.enquireLinkSeconds * 1000,
      responseTimeoutMs,
      connectTimeoutMs: t.connectTimeoutMs ?? responseTimeoutMs,
      slotWaitMs: t.slotWaitMs ?? responseTimeoutMs,
      stableAfterMs: t.stableAfterMs ?? DEFAULTS.stableAfterMs,
      deliverTimeoutMs: t.deliverTimeoutMs ?? DEFAULTS.deliverTimeoutMs,
      throttleHoldMs: t.throttleHoldMs ?? DEFAULTS.throttleHoldMs,
      rateMarginMs: t.rateMarginMs ?? DEFAULTS.rateMarginMs,
      unbindTimeoutMs: t.unbindTimeoutMs ?? Math.min(responseTimeoutMs, 5000),
    };
    this.limiter = new SlidingWindowLimiter(this.carrier.tps, { marginMs: this.timing.rateMarginMs, now: this.now });
    const types: BindType[] = this.carrier.bindMode === 'transceiver' ? ['transceiver'] : ['transmitter', 'receiver'];
    for (let index = 0; index < this.carrier.binds; index++) {
      for (const type of types) {
        this.links.push({
          index,
          type,
          session: undefined,
          up: false,
          upSince: 0,
          reserved: 0,
          attempts: 0,
          lostReason: undefined,
          enquireTimer: undefined,
          enquiring: false,
        });
      }
    }
  }

  /** Opens every bind (and keeps them up until stop()). Calling it again does nothing. */
  start(): void {
    if (this.stopping) throw new Error(`carrier ${this.carrier.id}: start() after stop()`);
    if (this.started) return;
    this.started = true;
    this.loops = this.links.map((link) => this.keepBound(link));
  }

  /** Binds able to submit (transceivers or transmitters) that are bound now. */
  bindsUp(): number {
    return this.links.filter((l) => l.up && l.type !== 'receiver').length;
  }

  /** Resolves true as soon as a bind can submit, false after `timeoutMs` without one. */
  whenReady(timeoutMs: number): Promise<boolean> {
    if (this.bindsUp() > 0) return Promise.resolve(true);
    return new Promise<boolean>((resolve) => {
      const ready = (): void => {
        clearTimeout(timer);
        this.readyWaiters.delete(ready);
        resolve(true);
      };
      const timer = setTimeout(() => {
        this.readyWaiters.delete(ready);
        resolve(false);
      }, timeoutMs);
      this.readyWaiters.add(ready);
    });
  }

  status(): CarrierConnectionStatus {
    return {
      bindsUp: this.bindsUp(),
      binds: this.links.map((l) => ({ index: l.index, type: l.type, up: l.up, outstanding: l.reserved })),
      rate: this.limiter.currentRate(),
      circuitOpenForMs: Math.max(0, this.circuitOpenUntil - this.now()),
    };
  }

  /**
   * Submits the PDUs of one message in order (see the module comment). Never rejects for
   * SMSC or network trouble: every such case is an outcome. Rejects only when the package
   * cannot encode a PDU (e.g. a short_message over 254 octets), a programming error.
   * After stop() it resolves 'unknown' / 'connection_lost' with nothing sent.
   */
  submit(pdus: SubmitSmParams[]): Promise<SubmitOutcome> {
    if (!this.started || this.stopping) return Promise.resolve({ kind: 'unknown', reason: 'connection_lost', acceptedSmscIds: [] });
    if (pdus.length === 0) return Promise.resolve({ kind: 'accepted', smscIds: [] });
    const operation = this.submitInOrder(pdus);
    this.operations.add(operation);
    const forget = (): void => void this.operations.delete(operation);
    operation.then(forget, forget);
    return operation;
  }

  /**
   * Stops accepting submits, lets submits in progress finish (at most `drainMs`), then unbinds
   * every session and closes. Submits still waiting after `drainMs` resolve 'unknown'.
   */
  stop(drainMs: number): Promise<void> {
    this.stopped ??= this.shutdown(drainMs);
    return this.stopped;
  }

  // ---- submit --------------------------------------------------------------------------


  private async submitInOrder(pdus: SubmitSmParams[]): Promise<SubmitOutcome> {
    const smscIds: string[] = [];
    let preferred: BindLink | undefined;
    let partRetries = 0;
    for (let i = 0; i < pdus.length; i++) {
      const pdu = pdus[i]!;
      const sent = await this.sendSegment(pdu, preferred);
      if ('failure' in sent) {
        if (sent.failure === 'timeout') {
          this.opts.log('SUBMIT_TIMEOUT', {
            carrier: this.carrier.id,
            bind: sent.link?.index,
            timeoutMs: this.timing.responseTimeoutMs,
            segment: i + 1,
            segments: pdus.length,
            to: pdu.destination_addr,
          });
        }
        return { kind: 'unknown', reason: sent.failure, acceptedSmscIds: smscIds };
      }
      const { link, response } = sent;
      preferred = link;
      if (response.command === 'submit_sm_resp' && response.commandStatus === 0) {
        smscIds.push(response.messageId ?? '');
        continue;
      }
      const status = this.onRejected(link, response, pdu);
      // A later part throttled: send that part again here (the limiter has slowed down). Returning
      // would make the caller offer the whole message again, parts the SMSC already accepted included.
      if (status.kind === 'throttled' && i > 0 && partRetries < MAX_PART_THROTTLE_RETRIES) {
        partRetries++;
        i--;
        continue;
      }
      return { kind: 'rejected', status, acceptedSmscIds: smscIds };
    }
    return { kind: 'accepted', smscIds };
  }

  /** One segment: a window slot, then a rate slot, then the request. */
  private async sendSegment(
    pdu: SubmitSmParams,
    preferred: BindLink | undefined,
  ): Promise<{ link: BindLink; response: ResponsePdu } | { failure: 'timeout' | 'connection_lost'; link?: BindLink }> {
    let rateSlot = false;
    for (;;) {
      const link = await this.reserveSlot(preferred);
      if (!link) return { failure: 'connection_lost' };
      try {
        // Window first, rate second: a segment holding a rate slot must go out at once, or
        // segments released together by the window would burst past the SMSC's limit.
        if (!rateSlot) {
          await this.limiter.acquire(1);
          rateSlot = true;
        }
        const session = link.up ? link.session : undefined;
        if (!session) {
          preferred = undefined; // the bind was lost while waiting: take another
          continue;
        }
        const response = await session.request('submit_sm', pdu, this.timing.responseTimeoutMs);
        return { link, response };
      } catch (error) {
        if (error instanceof LimiterClosedError || error instanceof SessionClosedError) return { failure: 'connection_lost', link };
        if (error instanceof ResponseTimeoutError) return { failure: 'timeout', link };
        throw error;
      } finally {
        link.reserved -= 1;
        this.dispatchSlots();
      }
    }
  }

  private onRejected(link: BindLink, response: ResponsePdu, pdu: SubmitSmParams): { code: number; name: string; kind: string; retryable: boolean } {
    // A generic_nack with status 0 is a protocol fault of the SMSC: a system error, retryable.
    const code = response.commandStatus !== 0 ? response.commandStatus : 0x08;
    const info = classifyCommandStatus(code, this.carrier.commandStatus);
    const status = { code: info.code, name: info.name, kind: info.kind, retryable: info.retryable };
    if (info.kind === 'throttled') {
      this.limiter.slowDown(THROTTLE_FACTOR, this.timing.throttleHoldMs);
      this.opts.log('THROTTLED', { carrier: this.carrier.id, bind: link.index, commandStatus: formatCommandStatus(code), name: info.name, rate: this.limiter.currentRate() });
      return status;
    }
    if (info.kind === 'bind' && link.session) {
      // ESME_RINVBNDSTS / RALYBND on a submit: the SMSC and we disagree on the session state. Rebind.
      link.lostReason = `submit_${info.name}`;
      link.session.destroy();
    }
    this.opts.log('SUBMIT_REJECTED', {
      carrier: this.carrier.id,
      bind: link.index,
      commandStatus: formatCommandStatus(code),
      name: info.name,
      retryable: info.retryable,
      response: response.command,
      to: pdu.destination_addr,
    });
    return status;
  }

  /** A bound link with room in its window: the preferred one, else the least loaded. */
  private pickLink(preferred: BindLink | undefined): BindLink | undefined {
    const room = (l: BindLink): boolean => l.up && l.type !== 'receiver' && l.session !== undefined && l.reserved < this.carrier.window;
    if (preferred && room(preferred)) return preferred;
    let best: BindLink | undefined;
    const n = this.links.length;
    for (let k = 0; k < n; k++) {
      const l = this.links[(this.cursor + k) % n];
      if (l && room(l) && (best === undefined || l.reserved < best.reserved)) best = l;
    }
    this.cursor = (this.cursor + 1) % Math.max(1, n);
    return best;
  }

  private reserveSlot(preferred: BindLink | undefined): Promise<BindLink | undefined> {
    if (this.abort.signal.aborted) return Promise.resolve(undefined);
    if (this.slotWaiters.length === 0) {
      const link = this.pickLink(preferred);
      if (link) {
        link.reserved += 1;
        return Promise.resolve(link);
      }
    }
    return new Promise<BindLink | undefined>((resolve) => {
      // Waiting behind a busy window (or the rate limit) is normal and bounded by the response
      // timeout; waiting with no bind up at all gives up after slotWaitMs.
      const expire = (): void => {
        if (this.bindsUp() > 0) {
          waiter.timer = setTimeout(expire, this.timing.slotWaitMs);
          return;
        }
        const at = this.slotWaiters.indexOf(waiter);
        if (at >= 0) this.slotWaiters.splice(at, 1);
        resolve(undefined);
      };
      const waiter: SlotWaiter = { preferred, resolve, timer: setTimeout(expire, this.timing.slotWaitMs) };
      this.slotWaiters.push(waiter);
    });
  }

  /** Hands free window slots to waiting segments, first come first served. */
  private dispatchSlots(): void {
    while (this.slotWaiters.length > 0) {
      const head = this.slotWaiters[0];
      if (!head) return;
      const link = this.pickLink(head.preferred);
      if (!link) return;
      this.slotWaiters.shift();
      clearTimeout(head.timer);
      link.reserved += 1;
      head.resolve(link);
    }
  }

  // ---- binds ---------------------------------------------------------------------------

  /** Connect, bind, watch, reconnect — until stop(). */
  private async keepBound(link: BindLink): Promise<void> {
    const signal = this.abort.signal;
    while (!signal.aborted) {
      const pause = this.circuitOpenUntil - this.now();
      if (pause > 0) {
        await sleep(pause, signal);
        continue;
      }
      const session = await this.connectAndBind(link);
      if (signal.aborted) {
        if (session) await session.unbind(this.timing.unbindTimeoutMs);
        return;
      }
      if (!session) continue; // refused (circuit open) or failed (backoff slept)

      link.session = session;
      link.up = true;
      link.upSince = this.now();
      link.lostReason = undefined;
      this.opts.log('BIND_UP', { carrier: this.carrier.id, bind: link.index, type: link.type, attempts: link.attempts });
      this.startEnquireLink(link, session);
      this.bindsChanged();
      this.dispatchSlots();

      const info = await session.whenClosed();
      this.stopEnquireLink(link);
      link.up = false;
      link.session = undefined;
      this.bindsChanged();
      if (signal.aborted) return;

      const upForMs = this.now() - link.upSince;
      if (upForMs >= this.timing.stableAfterMs) link.attempts = 0;
      const retryInMs = this.backoff(link);
      this.opts.log('BIND_LOST', {
        carrier: this.carrier.id,
        bind: link.index,
        type: link.type,
        reason: this.lostReason(link, info),
        upForMs: Math.round(upForMs),
        retryInMs: Math.round(retryInMs),
      });
      await sleep(retryInMs, signal);
    }
  }

  /** A bound session, or undefined after logging why not (and waiting out the backoff or opening the circuit). */
  private async connectAndBind(link: BindLink): Promise<SmppSession | undefined> {
    const signal = this.abort.signal;
    let session: SmppSession | undefined;
    try {
      session = await SmppSession.connect({
        host: this.carrier.host,
        port: this.carrier.port,
        tls: this.carrier.tls,
        ...(this.opts.tlsCa !== undefined ? { ca: this.opts.tlsCa } : {}),
        timeoutMs: this.timing.connectTimeoutMs,
      });
      session.onDeliver((deliver) => this.onDeliverSm(link, deliver));
      await session.bind(
        link.type,
        { systemId: this.carrier.systemId, password: this.opts.password, systemType: this.carrier.systemType },
        this.timing.responseTimeoutMs,
      );
      return session;
    } catch (error) {
      session?.destroy();
      if (signal.aborted) return undefined;
      if (error instanceof BindRefusedError && BIND_REFUSALS.has(error.commandStatus)) {
        // A configuration fault (password, system id, account, bind count): alarm and pause
        // every bind of the carrier; retrying at once can get the account blocked.
        this.circuitOpenUntil = this.now() + this.timing.breakerPauseMs;
        this.opts.log('BIND_REFUSED', {
          carrier: this.carrier.id,
          bind: link.index,
          type: link.type,
          commandStatus: formatCommandStatus(error.commandStatus),
          name: commandStatusName(error.commandStatus),
          pauseMs: this.timing.breakerPauseMs,
        });
        return undefined;
      }
      const retryInMs = this.backoff(link);
      this.opts.log('BIND_FAILED', {
        carrier: this.carrier.id,
        bind: link.index,
        type: link.type,
        reason: errorReason(error),
        attempt: link.attempts,
        retryInMs: Math.round(retryInMs),
      });
      await sleep(retryInMs, signal);
      return undefined;
    }
  }

  /** Full jitter: uniform in [0, min(cap, base * 2^attempts)]; counts the attempt. */
  private backoff(link: BindLink): number {
    const ceiling = Math.min(this.timing.backoffCapMs, this.timing.backoffBaseMs * 2 ** Math.min(link.attempts, 30));
    link.attempts += 1;
    return Math.random() * ceiling;
  }

  private lostReason(link: BindLink, info: SessionCloseInfo): string {
    if (link.lostReason) return link.lostReason;
    if (info.unboundByPeer) return 'unbound_by_smsc';
    if (info.error) return errorReason(info.error);
    return 'connection_closed';
  }

  private startEnquireLink(link: BindLink, session: SmppSession): void {
    link.enquireTimer = setInterval(() => {
      if (link.enquiring || session.state !== 'bound') return;
      link.enquiring = true;
      session.enquireLink(this.timing.responseTimeoutMs).then(
        () => {
          link.enquiring = false;
        },
        (error: unknown) => {
          link.enquiring = false;
          if (error instanceof ResponseTimeoutError && session.state !== 'closed') {
            // The SMSC (or the path to it) is dead while the socket looks open: start over.
            link.lostReason = 'enquire_link_timeout';
            session.destroy();
          }
        },
      );
    }, this.timing.enquireLinkMs);
  }

  private stopEnquireLink(link: BindLink): void {
    if (link.enquireTimer) clearInterval(link.enquireTimer);
    link.enquireTimer = undefined;
    link.enquiring = false;
  }

  private bindsChanged(): void {
    const up = this.bindsUp();
    if (up > 0) for (const ready of [...this.readyWaiters]) ready();
    if (up === this.reportedUp) return;
    this.reportedUp = up;
    this.opts.onBindsChanged?.(up);
  }

  // ---- deliver_sm ----------------------------------------------------------------------

  private async onDeliverSm(link: BindLink, deliver: DeliverSm): Promise<number> {
    const inbound = this.classifyDeliver(deliver);
    if (inbound.kind === 'malformed') {
      this.opts.log(isReceiptType(deliver.esmClass) ? 'RECEIPT_MALFORMED' : 'INBOUND_MALFORMED', {
        carrier: this.carrier.id,
        bind: link.index,
        reason: inbound.reason,
        esmClass: inbound.esmClass,
        dataCoding: deliver.dataCoding,
      });
    }
    let timer: NodeJS.Timeout | undefined;
    try {
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`onDeliver took over ${this.timing.deliverTimeoutMs} ms`)), this.timing.deliverTimeoutMs);
      });
      await Promise.race([this.opts.onDeliver(inbound), timeout]);
      return 0;
    } catch (error) {
      this.opts.log('DELIVER_FAILED', {
        carrier: this.carrier.id,
        bind: link.index,
        kind: inbound.kind,
        error: error instanceof Error ? `${error.name}: ${error.message.slice(0, 200)}` : 'unknown',
      });
      throw error; // answered ESME_RX_T_APPN: the SMSC delivers it again
    } finally {
      clearTimeout(timer);
    }
  }

  private classifyDeliver(d: DeliverSm): InboundPdu {
    const raw: DeliverRaw = {
      sourceAddr: d.sourceAddr,
      destinationAddr: d.destinationAddr,
      esmClass: d.esmClass,
      dataCoding: d.dataCoding,
      shortMessage: d.shortMessage,
      ...(d.messagePayload !== undefined ? { messagePayload: d.messagePayload } : {}),
      ...(d.receiptedMessageId !== undefined ? { receiptedMessageId: d.receiptedMessageId } : {}),
      ...(d.messageState !== undefined ? { messageState: d.messageState } : {}),
    };
    if (isReceiptType(d.esmClass)) {
      const receipt = receiptFromTlvs(d.receiptedMessageId, d.messageState, d.text);
      if (isReceiptParseError(receipt)) return { kind: 'malformed', reason: `receipt: ${receipt.reason}`, esmClass: d.esmClass, raw };
      return { kind: 'receipt', receipt, raw };
    }
    if (d.decodeProblem !== undefined) return { kind: 'malformed', reason: d.decodeProblem, esmClass: d.esmClass, raw };
    if (d.text === undefined) {
      return { kind: 'malformed', reason: `unsupported data_coding 0x${d.dataCoding.toString(16).padStart(2, '0')}`, esmClass: d.esmClass, raw };
    }
    const concat = d.udh?.concat ?? (d.sar && isUsableConcat(d.sar) ? d.sar : undefined);
    return {
      kind: 'inbound',
      from: e164(d.sourceAddr, d.sourceAddrTon),
      to: e164(d.destinationAddr, d.destAddrTon),
      dataCoding: d.dataCoding,
      text: d.text,
      ...(concat ? { concat } : {}),
    };
  }

  // ---- stop ----------------------------------------------------------------------------

  private async shutdown(drainMs: number): Promise<void> {
    this.stopping = true;
    // Let submits in progress (and the later parts of multi-part messages) finish.
    if (this.operations.size > 0) await settledWithin(Promise.allSettled([...this.operations]), drainMs);
    this.abort.abort();
    this.limiter.close();
    for (const waiter of this.slotWaiters.splice(0)) {
      clearTimeout(waiter.timer);
      waiter.resolve(undefined);
    }
    await Promise.all(
      this.links.map(async (link) => {
        this.stopEnquireLink(link);
        const session = link.session;
        if (session && session.state !== 'closed') {
          if (!(await session.unbind(this.timing.unbindTimeoutMs))) session.destroy();
        }
      }),
    );
    // A bind still connecting finishes (and unbinds) on its own within the connect timeout.
    await settledWithin(Promise.allSettled(this.loops), this.timing.unbindTimeoutMs);
    for (const ready of [...this.readyWaiters]) this.readyWaiters.delete(ready);
  }
}
