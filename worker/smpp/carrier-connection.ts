/**
 * The SMPP side of one carrier in this task: the bind slots it holds, and the submit path
 * through them.
 *
 * - Binds: one {@link BindKeeper} per bind slot (`carrier.binds` of them). A keeper binds only
 *   under the slot's lease, so all tasks together hold at most `binds` binds; the slots this
 *   task does not hold it waits for, as a hot standby (bind-keeper.ts, slot-lease.ts).
 * - Rate: one sliding-window limiter whose rate is the sum of the TPS shares of the slots
 *   held (core/domain/bind-leases.ts tpsShare): whichever tasks hold the slots, the carrier
 *   never sees more than `carrier.tps` in a second. A slot's share (and its bind) joins one
 *   rate window after its lease was taken, so the previous holder's last second is not
 *   counted twice.
 * - Submit: segment by segment, in order, each on the least-loaded bind with room in its
 *   window (submit-window.ts). A part waits for its response before the next is sent, so a
 *   rejected part stops the message.
 * - Outcomes: 'accepted' with one SMSC id per PDU; 'rejected' with the classified
 *   command_status (throttling also slows the limiter down); 'unknown' when no response came
 *   (timeout) or the connection was lost first — the caller must retry, never drop; 'unsent'
 *   when no bind took its first segment (none held, or all being handed over) — the caller
 *   gives it back to the queue for whichever task holds the binds.
 * - deliver_sm: classified (deliver-classifier.ts) and handed to `onDeliver`; deliver_sm_resp
 *   is sent only after onDeliver resolves (ESME_RX_T_APPN when it rejects or takes too long,
 *   so the SMSC delivers it again). A receipt may come on any bind of the account, whichever
 *   task submitted its message: correlation goes through the table.
 *
 * Logs are `log(EVENT, data)` with stable event names (see {@link CarrierEvent}); message
 * text is never passed to it. Numbers are passed under `to` for the log function to mask.
 * What the worker counts or reports comes through typed {@link CarrierConnectionEvents}.
 *
 * @example
 * const connection = new CarrierConnection({ carrier, password, taskId, leases, log, onDeliver: (d) => inbox.record(d) });
 * connection.start();
 * await connection.whenReady(10_000);
 * const outcome = await connection.submit(buildSubmitPdus(message, carrier.splitMode));
 * // on SIGTERM, once the queue loop has drained:
 * await connection.stop(10_000); // unbinds, then releases the leases
 */
import type { CarrierConfig } from '../../core/config/schema';
import { leaseTiming, tpsShare, type LeaseStore, type LeaseTiming } from '../../core/domain/bind-leases';
import { classifyCommandStatus, formatCommandStatus } from '../../core/domain/command-status';
import type { SubmitSmParams } from '../../core/domain/submit-pdus';
import { BindKeeper, canSubmit, settledWithin, type BindLink, type KeeperHooks } from './bind-keeper';
import { classifyDeliver, isReceiptType, type InboundPdu } from './deliver-classifier';
import { InProcessLeases } from './in-process-leases';
import { LimiterClosedError, SlidingWindowLimiter } from './rate-limiter';
import { ResponseTimeoutError, SessionClosedError, type BindType, type DeliverSm, type ResponsePdu } from './session';
import { SlotLease } from './slot-lease';
import { SubmitWindow } from './submit-window';

export type { DeliverRaw, InboundPdu } from './deliver-classifier';

/** Lifecycle events logged by a carrier connection. */
export type CarrierEvent =
  | 'LEASE_ACQUIRED'
  | 'LEASE_LOST'
  | 'LEASE_RELEASED'
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
  /** Safety margin added to the 1000 ms rate window (absorbs timer and transit jitter). Default carrier.rateMarginMs. */
  rateMarginMs?: number;
  /** Wait for unbind_resp on stop. Default min(response timeout, 5000). */
  unbindTimeoutMs?: number;
  /** A slot held this long without a bound session is handed to another task, when there is one (balance). Default 30000. */
  yieldUnboundAfterMs?: number;
}

/** What the worker counts and reports, as it happens (the log lines say the same for people). */
export interface CarrierConnectionEvents {
  /** The number of binds able to submit changed. */
  onBindsChanged?: (up: number) => void;
  onBindUp?: (e: { slot: number; type: BindType }) => void;
  /** A bind went down while its lease was held (not a close of our own). */
  onBindLost?: (e: { slot: number; type: BindType; reason: string }) => void;
  onBindRefused?: (e: { slot: number; type: BindType; commandStatus: string }) => void;
  /** One per throttling submit_sm_resp, whatever becomes of the message. */
  onThrottled?: (e: { slot: number; commandStatus: string }) => void;
  onLeaseAcquired?: (e: { slot: number; token: number; takeover: boolean; previousOwner: string | undefined }) => void;
  onLeaseLost?: (e: { slot: number; reason: string }) => void;
  onLeaseReleased?: (e: { slot: number }) => void;
}

export interface CarrierConnectionOptions {
  carrier: CarrierConfig;
  password: string;
  /** Must mask the numbers under `to`, `from`, `destination`, `source` (worker/log.ts's `log` does). */
  log: (event: string, data: Record<string, unknown>) => void;
  /** Resolve once the receipt / inbound message is durably recorded: only then is deliver_sm answered. */
  onDeliver: (d: InboundPdu) => Promise<void>;
  events?: CarrierConnectionEvents;
  /** Where the bind slots' leases live. Default: leases of this process alone (it holds every slot). */
  leases?: LeaseStore;
  /** This task's id: the owner of the leases it holds. Default 'this-process'. */
  taskId?: string;
  /** Default leaseTiming() (15 s TTL). */
  leaseTiming?: LeaseTiming;
  /** Trusted CA (PEM) for a TLS SMSC with a private certificate. */
  tlsCa?: string | Buffer;
  /** Monotonic clock in ms. Default performance.now(). */
  now?: () => number;
  timing?: CarrierTiming;
}

export type SubmitOutcome =
  | { kind: 'accepted'; smscIds: string[] }
  | { kind: 'rejected'; status: { code: number; name: string; kind: string; retryable: boolean }; acceptedSmscIds: string[] }
  | { kind: 'unknown'; reason: 'timeout' | 'connection_lost'; acceptedSmscIds: string[] }
  /** Nothing of it reached the SMSC: no bind took it in time (none held, or they were being handed over), or the connection stopped. */
  | { kind: 'unsent' };

/** One bind's state, for health reports and metrics. */
export interface BindStatus {
  /** The bind slot. */
  index: number;
  type: BindType;
  /** This task holds the slot's lease. */
  leased: boolean;
  up: boolean;
  /** submit_sm sent and unanswered, plus segments holding a window slot while waiting for the rate limit. */
  outstanding: number;
}

export interface CarrierConnectionStatus {
  bindsUp: number;
  /** The bind slots whose leases this task holds. */
  slots: number[];
  binds: BindStatus[];
  /** Segments per second the limiter currently allows (the held slots' shares; 0 with none). */
  rate: number;
  /** Milliseconds until the circuit breaker lets binds try again; 0 when closed. */
  circuitOpenForMs: number;
}

const DEFAULTS = {
  backoffBaseMs: 1000,
  backoffCapMs: 60_000,
  breakerPauseMs: 300_000,
  stableAfterMs: 30_000,
  deliverTimeoutMs: 30_000,
  throttleHoldMs: 5000,
  yieldUnboundAfterMs: 30_000,
} as const;

const THROTTLE_FACTOR = 0.5;
/** Throttled later parts of one message sent again in place before the message is given back. */
const MAX_PART_THROTTLE_RETRIES = 10;

type ResolvedTiming = Required<CarrierTiming>;

export class CarrierConnection {
  private readonly carrier: CarrierConfig;
  private readonly opts: CarrierConnectionOptions;
  private readonly events: CarrierConnectionEvents;
  private readonly timing: ResolvedTiming;
  private readonly now: () => number;
  private readonly limiter: SlidingWindowLimiter;
  private readonly keepers: BindKeeper[] = [];
  private readonly links: BindLink[] = [];
  private readonly window: SubmitWindow;
  private readonly breaker = { openUntil: -Infinity };
  /** Slots whose share is counted in the limiter (their links may submit). */
  private readonly counted = new Set<number>();
  private readonly joining = new Map<number, NodeJS.Timeout>();
  private readonly operations = new Set<Promise<SubmitOutcome>>();
  private readonly readyWaiters = new Set<() => void>();
  private readonly abort = new AbortController();
  private loops: Promise<void>[] = [];
  private started = false;
  private stopping = false;
  private stopped: Promise<void> | undefined;
  private reportedUp = 0;
  /** How long a yielded slot is left to the other tasks (see balance). */
  private readonly leaseTtlMs: number;

  constructor(opts: CarrierConnectionOptions) {
    this.opts = opts;
    this.carrier = opts.carrier;
    this.events = opts.events ?? {};
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
      rateMarginMs: t.rateMarginMs ?? this.carrier.rateMarginMs,
      unbindTimeoutMs: t.unbindTimeoutMs ?? Math.min(responseTimeoutMs, 5000),
      yieldUnboundAfterMs: t.yieldUnboundAfterMs ?? DEFAULTS.yieldUnboundAfterMs,
    };
    this.limiter = new SlidingWindowLimiter(this.carrier.tps, { marginMs: this.timing.rateMarginMs, now: this.now });
    this.window = new SubmitWindow(() => this.links, this.carrier.window, this.timing.slotWaitMs);
    const leases = opts.leases ?? new InProcessLeases();
    const taskId = opts.taskId ?? 'this-process';
    const timing = opts.leaseTiming ?? leaseTiming();
    this.leaseTtlMs = timing.ttlMs;
    const hooks: KeeperHooks = {
      log: opts.log,
      onTenure: (keeper, held) => this.onTenure(keeper, held),
      onLinksChanged: () => this.linksChanged(),
      onDeliver: (link, deliver) => this.onDeliverSm(link, deliver),
      ...this.events,
    };
    for (let slot = 0; slot < this.carrier.binds; slot++) {
      const lease = new SlotLease({
        store: leases,
        carrierId: this.carrier.id,
        slot,
        owner: taskId,
        timing,
        now: this.now,
        onStoreError: (operation, error) => opts.log('LEASE_STORE_FAILED', { carrier: this.carrier.id, slot, operation, error: error instanceof Error ? error.name : 'unknown', taskId }),
      });
      const keeper = new BindKeeper({ carrier: this.carrier, password: opts.password, ...(opts.tlsCa !== undefined ? { tlsCa: opts.tlsCa } : {}), lease, taskId, timing: this.timing, breaker: this.breaker, now: this.now, hooks });
      this.keepers.push(keeper);
      this.links.push(...keeper.links);
    }
  }

  /** Starts every slot's keeper (each binds once it holds its lease). Calling it again does nothing. */
  start(): void {
    if (this.stopping) throw new Error(`carrier ${this.carrier.id}: start() after stop()`);
    if (this.started) return;
    this.started = true;
    this.loops = this.keepers.map((keeper) => keeper.run(this.abort.signal));
  }

  /** Binds able to submit now (bound, under a lease whose share is counted, not closing). */
  bindsUp(): number {
    return this.window.submittable();
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
      slots: this.keepers.filter((k) => k.leaseHeld).map((k) => k.slot),
      binds: this.links.map((l) => ({ index: l.slot, type: l.type, leased: this.keepers[l.slot]?.leaseHeld ?? false, up: l.up, outstanding: l.reserved })),
      rate: this.counted.size > 0 ? this.limiter.currentRate() : 0,
      circuitOpenForMs: Math.max(0, this.breaker.openUntil - this.now()),
    };
  }

  /**
   * Submits the PDUs of one message in order (see the module comment). Never rejects for
   * SMSC or network trouble: every such case is an outcome. Rejects only when the package
   * cannot encode a PDU (e.g. a short_message over 254 octets), a programming error.
   * After stop() it resolves 'unsent'.
   */
  submit(pdus: SubmitSmParams[]): Promise<SubmitOutcome> {
    if (!this.started || this.stopping) return Promise.resolve({ kind: 'unsent' });
    if (pdus.length === 0) return Promise.resolve({ kind: 'accepted', smscIds: [] });
    const operation = this.submitInOrder(pdus);
    this.operations.add(operation);
    const forget = (): void => void this.operations.delete(operation);
    operation.then(forget, forget);
    return operation;
  }

  /**
   * Stops accepting submits, lets submits in progress finish (at most `drainMs`), then unbinds
   * every bind and releases its lease. Submits still waiting after `drainMs` resolve 'unknown'.
   */
  stop(drainMs: number): Promise<void> {
    this.stopped ??= this.shutdown(drainMs);
    return this.stopped;
  }

  /**
   * Spreads the binds over the tasks: with `tasks` tasks serving the carrier (this one
   * included, from their heartbeats), a task holding more than ceil(binds / tasks) slots gives
   * one up, so a standby takes it and one task's crash takes at most its share of the binds
   * down; and a slot it has not managed to bind for `yieldUnboundAfterMs` goes too. One slot
   * per call: the caller calls it every heartbeat.
   */
  balance(tasks: number): void {
    if (this.stopping || tasks <= 1) return;
    // A slot this task has held for a while without managing to bind it (its path to the SMSC is
    // broken, say its zone's) goes to another task, whose path may work. Not while the breaker is
    // open: a refused bind is a configuration fault, the same for every task.
    const stuck = this.keepers.find((k) => !k.yielding && k.unboundForMs() >= this.timing.yieldUnboundAfterMs);
    if (stuck && this.breaker.openUntil <= this.now()) {
      stuck.yieldLease(this.leaseTtlMs, 'cannot_bind');
      return;
    }
    const fair = Math.ceil(this.carrier.binds / tasks);
    const held = this.keepers.filter((k) => k.leaseHeld && !k.yielding);
    if (held.length <= fair) return;
    held[held.length - 1]!.yieldLease(this.leaseTtlMs);
  }

  // ---- leases and rate -----------------------------------------------------------------

  /**
   * A slot's share joins the limiter one rate window after its lease was taken (the previous
   * holder may have sent its share until it let go), and leaves it the moment the lease is
   * being let go. Until it joins, its bind carries nothing.
   */
  private onTenure(keeper: BindKeeper, held: boolean): void {
    const slot = keeper.slot;
    clearTimeout(this.joining.get(slot));
    this.joining.delete(slot);
    if (held) {
      this.joining.set(
        slot,
        setTimeout(() => {
          this.joining.delete(slot);
          if (!keeper.leaseHeld) return;
          this.counted.add(slot);
          this.countedChanged();
        }, this.limiter.windowMs),
      );
      return;
    }
    this.counted.delete(slot);
    this.countedChanged();
  }

  private countedChanged(): void {
    for (const link of this.links) link.counted = this.counted.has(link.slot);
    const rate = [...this.counted].reduce((sum, slot) => sum + tpsShare(this.carrier.tps, this.carrier.binds, slot), 0);
    // With no slot counted no bind may submit: the limiter's rate does not matter until one is.
    if (rate > 0) this.limiter.setRate(rate);
    this.linksChanged();
  }

  private linksChanged(): void {
    this.window.dispatch();
    const up = this.bindsUp();
    if (up > 0) for (const ready of [...this.readyWaiters]) ready();
    if (up === this.reportedUp) return;
    this.reportedUp = up;
    this.events.onBindsChanged?.(up);
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
            bind: sent.link?.slot,
            timeoutMs: this.timing.responseTimeoutMs,
            segment: i + 1,
            segments: pdus.length,
            to: pdu.destination_addr,
          });
        }
        if (sent.failure === 'not_sent') return i === 0 ? { kind: 'unsent' } : { kind: 'unknown', reason: 'connection_lost', acceptedSmscIds: smscIds };
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
  ): Promise<{ link: BindLink; response: ResponsePdu } | { failure: 'timeout' | 'connection_lost' | 'not_sent'; link?: BindLink }> {
    let rateSlot = false;
    for (;;) {
      const link = await this.window.reserve(preferred);
      if (!link) return { failure: 'not_sent' };
      try {
        // Window first, rate second: a segment holding a rate slot must go out at once, or
        // segments released together by the window would burst past the SMSC's limit.
        if (!rateSlot) {
          await this.limiter.acquire(1);
          rateSlot = true;
        }
        const session = canSubmit(link) ? link.session : undefined;
        if (!session) {
          preferred = undefined; // the bind was lost (or is closing) while waiting: take another
          continue;
        }
        const response = await session.request('submit_sm', pdu, this.timing.responseTimeoutMs);
        return { link, response };
      } catch (error) {
        if (error instanceof LimiterClosedError) return { failure: 'not_sent', link };
        if (error instanceof SessionClosedError) return { failure: 'connection_lost', link };
        if (error instanceof ResponseTimeoutError) return { failure: 'timeout', link };
        throw error;
      } finally {
        this.window.free(link);
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
      this.opts.log('THROTTLED', { carrier: this.carrier.id, bind: link.slot, commandStatus: formatCommandStatus(code), name: info.name, rate: this.limiter.currentRate() });
      this.events.onThrottled?.({ slot: link.slot, commandStatus: formatCommandStatus(code) });
      return status;
    }
    if (info.kind === 'bind' && link.session) {
      // ESME_RINVBNDSTS / RALYBND on a submit: the SMSC and we disagree on the session state. Rebind.
      link.lostReason = `submit_${info.name}`;
      link.session.destroy();
    }
    this.opts.log('SUBMIT_REJECTED', {
      carrier: this.carrier.id,
      bind: link.slot,
      commandStatus: formatCommandStatus(code),
      name: info.name,
      retryable: info.retryable,
      response: response.command,
      to: pdu.destination_addr,
    });
    return status;
  }

  // ---- deliver_sm ----------------------------------------------------------------------

  private async onDeliverSm(link: BindLink, deliver: DeliverSm): Promise<number> {
    const inbound = classifyDeliver(deliver);
    if (inbound.kind === 'malformed') {
      this.opts.log(isReceiptType(deliver.esmClass) ? 'RECEIPT_MALFORMED' : 'INBOUND_MALFORMED', {
        carrier: this.carrier.id,
        bind: link.slot,
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
        bind: link.slot,
        kind: inbound.kind,
        error: error instanceof Error ? `${error.name}: ${error.message.slice(0, 200)}` : 'unknown',
      });
      throw error; // answered ESME_RX_T_APPN: the SMSC delivers it again
    } finally {
      clearTimeout(timer);
    }
  }

  // ---- stop ----------------------------------------------------------------------------

  private async shutdown(drainMs: number): Promise<void> {
    this.stopping = true;
    // Let submits in progress (and the later parts of multi-part messages) finish.
    if (this.operations.size > 0) await settledWithin(Promise.allSettled([...this.operations]), drainMs);
    this.limiter.close();
    this.window.close();
    for (const timer of this.joining.values()) clearTimeout(timer);
    this.joining.clear();
    // Each keeper unbinds, then releases its lease at once (a standby binds within seconds).
    this.abort.abort();
    await settledWithin(Promise.allSettled(this.loops), this.timing.connectTimeoutMs + 2 * this.timing.unbindTimeoutMs);
    for (const ready of [...this.readyWaiters]) this.readyWaiters.delete(ready);
  }
}

