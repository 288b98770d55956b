/**
 * One bind slot of a carrier, kept by this task while it holds the slot's lease.
 *
 * - Lease first: the keeper waits for the slot's lease (slot-lease.ts), binds only under it,
 *   renews it, and when it cannot keep it (another task took it, or renewals failed until the
 *   deadline) stops the slot's submits and closes its bind before anyone else may bind it.
 *   On stop it unbinds and then releases the lease at once, so a waiting task binds within
 *   seconds. Asked to yield (the task holds more than its share of the binds while another
 *   task stands by), it does the same and stays away for a while.
 * - The bind: a transceiver, or a transmitter and a receiver ('transmitter-receiver'). Each
 *   session is kept up on its own: enquire_link every enquireLinkMs with a watchdog (no
 *   enquire_link_resp within the response timeout → destroy and reconnect), reconnect with
 *   exponential backoff and full jitter. A bind refused for a bind reason (0x0D/0x0E/0x0F:
 *   credentials, account, bind count) opens the carrier's circuit breaker, shared by all its
 *   slots, for a long pause: a refusing SMSC is never hammered.
 *
 * The keeper owns its links' sessions; the carrier connection reads the links (window
 * counts, whether they can submit) and is told of every change through {@link KeeperHooks}.
 */
import type { CarrierConfig } from '../../core/config/schema';
import { commandStatusName, formatCommandStatus } from '../../core/domain/command-status';
import { BindRefusedError, ResponseTimeoutError, SmppSession, type BindType, type DeliverSm, type SessionCloseInfo } from './session';
import { sleep, SlotLease, type LeaseLossReason } from './slot-lease';

/** Bind refusals that are configuration faults: credentials, system id, account or bind count. */
const BIND_REFUSALS: ReadonlySet<number> = new Set([0x0d, 0x0e, 0x0f]);
const ESME_RBINDFAIL = 0x0d;
/**
 * After a takeover, ESME_RBINDFAIL is first taken for the previous holder's bind still open at
 * the SMSC (a frozen or partitioned task's socket, until the SMSC's own keep-alive drops it):
 * retried with backoff for this long before it counts as a configuration fault.
 */
const ZOMBIE_BIND_GRACE_MS = 180_000;

/** One SMPP session of a slot, as the submit path sees it. */
export interface BindLink {
  /** The bind slot (0 … binds-1): logged as `bind`. */
  readonly slot: number;
  readonly type: BindType;
  session: SmppSession | undefined;
  up: boolean;
  /** Closing: no new submit_sm on it (the lease is being let go, or the task stops). */
  draining: boolean;
  /** The slot's TPS share is in the limiter: only then may it carry submit_sm. */
  counted: boolean;
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

/** Can this link take a submit_sm now? */
export function canSubmit(link: BindLink): boolean {
  return link.up && !link.draining && link.counted && link.type !== 'receiver' && link.session !== undefined;
}

/** Why a task gives a slot up while it could keep it: to spread the binds, or because it cannot bind it. */
export type YieldReason = 'balance' | 'cannot_bind';

export interface KeeperTiming {
  backoffBaseMs: number;
  backoffCapMs: number;
  breakerPauseMs: number;
  enquireLinkMs: number;
  responseTimeoutMs: number;
  connectTimeoutMs: number;
  stableAfterMs: number;
  unbindTimeoutMs: number;
}

/** The carrier's circuit breaker, shared by its slots. */
export interface Breaker {
  openUntil: number;
}

export interface KeeperHooks {
  log: (event: string, data: Record<string, unknown>) => void;
  /** The slot's lease was taken (true) or is being let go (false): the share joins or leaves the limiter. */
  onTenure: (keeper: BindKeeper, held: boolean) => void;
  /** A link came up, went down, or started draining. */
  onLinksChanged: () => void;
  onDeliver: (link: BindLink, deliver: DeliverSm) => Promise<number>;
  onLeaseAcquired?: (e: { slot: number; token: number; takeover: boolean; previousOwner: string | undefined }) => void;
  onLeaseLost?: (e: { slot: number; reason: LeaseLossReason }) => void;
  onLeaseReleased?: (e: { slot: number }) => void;
  onBindUp?: (e: { slot: number; type: BindType }) => void;
  onBindLost?: (e: { slot: number; type: BindType; reason: string }) => void;
  onBindRefused?: (e: { slot: number; type: BindType; commandStatus: string }) => void;
}

export interface BindKeeperOptions {
  carrier: CarrierConfig;
  password: string;
  tlsCa?: string | Buffer;
  lease: SlotLease;
  taskId: string;
  timing: KeeperTiming;
  breaker: Breaker;
  now: () => number;
  hooks: KeeperHooks;
}

export class BindKeeper {
  readonly slot: number;
  readonly links: BindLink[];
  private readonly opts: BindKeeperOptions;
  private readonly carrier: CarrierConfig;
  private readonly timing: KeeperTiming;
  private yieldRequested = false;
  private yieldReason: YieldReason = 'balance';
  /** Since when, in this tenure, no session of the slot has been bound (undefined: one is). */
  private unboundSince: number | undefined;
  private endTenure: (() => void) | undefined;
  private cooldownMs = 0;
  /** When this tenure began with a takeover (undefined: the lease was free or released). */
  private takenOverAt: number | undefined;

  constructor(opts: BindKeeperOptions) {
    this.opts = opts;
    this.carrier = opts.carrier;
    this.timing = opts.timing;
    this.slot = opts.lease.slot;
    const types: BindType[] = this.carrier.bindMode === 'transceiver' ? ['transceiver'] : ['transmitter', 'receiver'];
    this.links = types.map((type) => ({
      slot: this.slot,
      type,
      session: undefined,
      up: false,
      draining: false,
      counted: false,
      upSince: 0,
      reserved: 0,
      attempts: 0,
      lostReason: undefined,
      enquireTimer: undefined,
      enquiring: false,
    }));
  }

  get leaseHeld(): boolean {
    return this.opts.lease.held;
  }

  /** Milliseconds the slot has been held without a bound session (0 while one is bound, or not held). */
  unboundForMs(): number {
    return this.leaseHeld && this.unboundSince !== undefined ? this.opts.now() - this.unboundSince : 0;
  }

  /** Giving the slot up to balance the binds over the tasks (see {@link yieldLease}). */
  get yielding(): boolean {
    return this.yieldRequested;
  }

  /**
   * Gives the slot up for another task: its submits drain, it unbinds and releases the lease,
   * then it stays away for `cooldownMs` so that a standby takes the slot, not this task again.
   */
  yieldLease(cooldownMs: number, reason: YieldReason = 'balance'): void {
    if (!this.leaseHeld || this.yieldRequested) return;
    this.cooldownMs = cooldownMs;
    this.yieldReason = reason;
    this.yieldRequested = true;
    this.endTenure?.();
  }

  /**
   * Holds the slot whenever its lease can be had, until `stop` aborts: then closes the bind
   * (the caller has drained the submits first) and releases the lease.
   */
  async run(stop: AbortSignal): Promise<void> {
    const { lease, hooks, taskId } = this.opts;
    const ids = { carrier: this.carrier.id, slot: this.slot, taskId };
    while (!stop.aborted) {
      const got = await lease.acquire(stop);
      if (!got) return;
      hooks.log('LEASE_ACQUIRED', { ...ids, token: got.token, takeover: got.takeover, ...(got.previousOwner ? { previousOwner: got.previousOwner } : {}) });
      hooks.onLeaseAcquired?.({ slot: this.slot, token: got.token, takeover: got.takeover, previousOwner: got.previousOwner });
      this.takenOverAt = got.takeover ? this.opts.now() : undefined;
      const tenure = new AbortController();
      const endTenure = (): void => tenure.abort();
      this.endTenure = endTenure;
      stop.addEventListener('abort', endTenure, { once: true });
      for (const link of this.links) link.draining = false;
      this.unboundSince = this.opts.now();
      hooks.onTenure(this, true);
      const loops = this.links.map((link) => this.keepBound(link, tenure.signal));
      const lost = await lease.hold(tenure.signal);
      stop.removeEventListener('abort', endTenure);
      this.endTenure = undefined;
      tenure.abort();
      hooks.onTenure(this, false);
      const yielded = this.yieldRequested && !stop.aborted;
      // Lost: closed before the lease's expiry, within the fence margin. Yielded: its submits
      // answered first. Stopping: the caller drained the submits already.
      await this.close(lost ? lease.fenceBudgetMs : yielded ? this.timing.responseTimeoutMs + this.timing.unbindTimeoutMs : this.timing.unbindTimeoutMs);
      await settledWithin(Promise.allSettled(loops), this.timing.connectTimeoutMs + this.timing.unbindTimeoutMs);
      if (lost) {
        hooks.log('LEASE_LOST', { ...ids, reason: lost });
        hooks.onLeaseLost?.({ slot: this.slot, reason: lost });
        this.yieldRequested = false;
        continue;
      }
      await lease.release();
      hooks.log('LEASE_RELEASED', { ...ids, reason: yielded ? this.yieldReason : 'stop' });
      hooks.onLeaseReleased?.({ slot: this.slot });
      this.yieldRequested = false;
      if (yielded) await sleep(this.cooldownMs, stop);
    }
  }

  /** Stops new submits on the slot, lets outstanding ones answer (at most half the budget), unbinds (the rest). */
  private async close(budgetMs: number): Promise<void> {
    for (const link of this.links) link.draining = true;
    this.opts.hooks.onLinksChanged();
    const start = this.opts.now();
    while (this.links.some((l) => l.reserved > 0) && this.opts.now() - start < budgetMs / 2) await sleep(20);
    const unbindMs = Math.max(100, Math.min(this.timing.unbindTimeoutMs, budgetMs - (this.opts.now() - start)));
    await Promise.all(
      this.links.map(async (link) => {
        this.stopEnquireLink(link);
        const session = link.session;
        if (session && session.state !== 'closed') {
          link.lostReason = 'unbound';
          if (!(await session.unbind(unbindMs))) session.destroy();
        }
      }),
    );
  }

  /** Connect, bind, watch, reconnect — until the tenure ends. */
  private async keepBound(link: BindLink, signal: AbortSignal): Promise<void> {
    const { hooks, breaker, now, taskId } = this.opts;
    while (!signal.aborted) {
      const pause = breaker.openUntil - now();
      if (pause > 0) {
        await sleep(pause, signal);
        continue;
      }
      const session = await this.connectAndBind(link, signal);
      if (signal.aborted) {
        if (session) await session.unbind(this.timing.unbindTimeoutMs);
        return;
      }
      if (!session) continue; // refused (circuit open) or failed (backoff slept)

      link.session = session;
      link.up = true;
      link.upSince = now();
      link.lostReason = undefined;
      hooks.log('BIND_UP', { carrier: this.carrier.id, bind: link.slot, type: link.type, attempts: link.attempts, taskId });
      hooks.onBindUp?.({ slot: link.slot, type: link.type });
      this.startEnquireLink(link, session);
      if (this.links.every((l) => l.up)) this.unboundSince = undefined;
      hooks.onLinksChanged();

      const info = await session.whenClosed();
      this.stopEnquireLink(link);
      link.up = false;
      link.session = undefined;
      this.unboundSince ??= now();
      hooks.onLinksChanged();
      const upForMs = now() - link.upSince;
      if (upForMs >= this.timing.stableAfterMs) link.attempts = 0;
      const reason = this.lostReason(link, info);
      if (signal.aborted) {
        hooks.log('BIND_LOST', { carrier: this.carrier.id, bind: link.slot, type: link.type, reason, upForMs: Math.round(upForMs), taskId });
        return;
      }
      const retryInMs = this.backoff(link);
      hooks.log('BIND_LOST', { carrier: this.carrier.id, bind: link.slot, type: link.type, reason, upForMs: Math.round(upForMs), retryInMs: Math.round(retryInMs), taskId });
      hooks.onBindLost?.({ slot: link.slot, type: link.type, reason });
      await sleep(retryInMs, signal);
    }
  }

  /** A bound session, or undefined after logging why not (and waiting out the backoff or opening the circuit). */
  private async connectAndBind(link: BindLink, signal: AbortSignal): Promise<SmppSession | undefined> {
    const { hooks, breaker, now, taskId } = this.opts;
    let session: SmppSession | undefined;
    try {
      session = await SmppSession.connect({
        host: this.carrier.host,
        port: this.carrier.port,
        tls: this.carrier.tls,
        ...(this.opts.tlsCa !== undefined ? { ca: this.opts.tlsCa } : {}),
        timeoutMs: this.timing.connectTimeoutMs,
      });
      session.onDeliver((deliver) => hooks.onDeliver(link, deliver));
      await session.bind(
        link.type,
        { systemId: this.carrier.systemId, password: this.opts.password, systemType: this.carrier.systemType },
        this.timing.responseTimeoutMs,
      );
      return session;
    } catch (error) {
      session?.destroy();
      if (signal.aborted) return undefined;
      if (error instanceof BindRefusedError && error.commandStatus === ESME_RBINDFAIL && this.takenOverAt !== undefined && now() - this.takenOverAt < ZOMBIE_BIND_GRACE_MS) {
        // Just taken over from a task that let its lease expire: a frozen or cut-off holder's bind
        // may still count at the SMSC until the SMSC drops it. Not a configuration fault: back off
        // and bind again, without pausing every bind of the carrier.
        const retryInMs = Math.max(this.timing.backoffBaseMs, this.backoff(link));
        hooks.log('BIND_REFUSED', { carrier: this.carrier.id, bind: link.slot, type: link.type, commandStatus: formatCommandStatus(error.commandStatus), name: commandStatusName(error.commandStatus), afterTakeover: true, retryInMs: Math.round(retryInMs), taskId });
        await sleep(retryInMs, signal);
        return undefined;
      }
      if (error instanceof BindRefusedError && BIND_REFUSALS.has(error.commandStatus)) {
        // A configuration fault (password, system id, account, bind count): alarm and pause
        // every bind of the carrier; retrying at once can get the account blocked.
        breaker.openUntil = now() + this.timing.breakerPauseMs;
        const commandStatus = formatCommandStatus(error.commandStatus);
        hooks.log('BIND_REFUSED', {
          carrier: this.carrier.id,
          bind: link.slot,
          type: link.type,
          commandStatus,
          name: commandStatusName(error.commandStatus),
          pauseMs: this.timing.breakerPauseMs,
          taskId,
        });
        hooks.onBindRefused?.({ slot: link.slot, type: link.type, commandStatus });
        return undefined;
      }
      const retryInMs = this.backoff(link);
      hooks.log('BIND_FAILED', { carrier: this.carrier.id, bind: link.slot, type: link.type, reason: errorReason(error), attempt: link.attempts, retryInMs: Math.round(retryInMs), taskId });
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
}

export function errorReason(error: unknown): string {
  if (error instanceof BindRefusedError) return `bind_refused_${formatCommandStatus(error.commandStatus)}`;
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    return typeof code === 'string' ? code : error.name === 'Error' ? error.message.slice(0, 120) : error.name;
  }
  return String(error).slice(0, 120);
}

/** Resolves when `promise` settles or after `ms`, whichever comes first (and leaves no timer behind). */
export async function settledWithin(promise: Promise<unknown>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const expiry = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, Math.max(0, ms));
  });
  await Promise.race([promise.then(noop, noop), expiry]);
  clearTimeout(timer);
}

const noop = (): void => undefined;
