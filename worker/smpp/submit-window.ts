/**
 * The window: at most `carrier.window` submit_sm outstanding on each bind, and segments that
 * find every window full wait their turn, first come first served. A segment is given the
 * bind it asks for (a message's earlier parts went there) when it has room, else the least
 * loaded bind that can submit.
 *
 * Waiting behind a busy window is normal and bounded by the response timeout; a segment
 * waiting while no bind can submit at all gives up after `slotWaitMs` (its message is
 * retried, never dropped).
 */
import { canSubmit, type BindLink } from './bind-keeper';

interface SlotWaiter {
  preferred: BindLink | undefined;
  resolve: (link: BindLink | undefined) => void;
  timer: NodeJS.Timeout;
}

export class SubmitWindow {
  private readonly waiters: SlotWaiter[] = [];
  private cursor = 0;
  private closed = false;

  constructor(
    private readonly links: () => readonly BindLink[],
    private readonly window: number,
    private readonly slotWaitMs: number,
  ) {}

  /** Binds that can take a submit_sm now. */
  submittable(): number {
    return this.links().filter(canSubmit).length;
  }

  /** A window slot on a bind (the caller must call {@link free} with it), or undefined when none came in time. */
  reserve(preferred: BindLink | undefined): Promise<BindLink | undefined> {
    if (this.closed) return Promise.resolve(undefined);
    if (this.waiters.length === 0) {
      const link = this.pick(preferred);
      if (link) {
        link.reserved += 1;
        return Promise.resolve(link);
      }
    }
    return new Promise<BindLink | undefined>((resolve) => {
      const expire = (): void => {
        if (this.submittable() > 0) {
          waiter.timer = setTimeout(expire, this.slotWaitMs);
          return;
        }
        const at = this.waiters.indexOf(waiter);
        if (at >= 0) this.waiters.splice(at, 1);
        resolve(undefined);
      };
      const waiter: SlotWaiter = { preferred, resolve, timer: setTimeout(expire, this.slotWaitMs) };
      this.waiters.push(waiter);
    });
  }

  /** Gives a reserved slot back and hands free slots on. */
  free(link: BindLink): void {
    link.reserved -= 1;
    this.dispatch();
  }

  /** Hands free window slots to waiting segments (call when a bind came up or got room). */
  dispatch(): void {
    while (this.waiters.length > 0) {
      const head = this.waiters[0];
      if (!head) return;
      const link = this.pick(head.preferred);
      if (!link) return;
      this.waiters.shift();
      clearTimeout(head.timer);
      link.reserved += 1;
      head.resolve(link);
    }
  }

  /** Every waiting segment gets no slot; later reservations neither. */
  close(): void {
    this.closed = true;
    for (const waiter of this.waiters.splice(0)) {
      clearTimeout(waiter.timer);
      waiter.resolve(undefined);
    }
  }

  private pick(preferred: BindLink | undefined): BindLink | undefined {
    const room = (l: BindLink): boolean => canSubmit(l) && l.reserved < this.window;
    if (preferred && room(preferred)) return preferred;
    const links = this.links();
    let best: BindLink | undefined;
    const n = links.length;
    for (let k = 0; k < n; k++) {
      const l = links[(this.cursor + k) % n];
      if (l && room(l) && (best === undefined || l.reserved < best.reserved)) best = l;
    }
    this.cursor = (this.cursor + 1) % Math.max(1, n);
    return best;
  }
}
