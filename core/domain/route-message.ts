/**
 * Routing one ingest envelope: pick the carrier, claim the attempt with a
 * conditional ROUTED write, hand the message to the carrier queue. Idempotent:
 * a redelivered envelope whose attempt is already ROUTED is re-sent with the
 * same deduplication id (the FIFO carrier queue drops it); one that is further
 * along changes nothing.
 *
 * The router routes the messages the API could not route at acceptance (no route:
 * REJECTED here) and every retry. First attempts the routing table routes are
 * stored ROUTED by the API itself, with the same change (`routedChange`), and the
 * outbox sends their carrier envelope.
 */
import { carrierEnvelope, type CarrierEnvelope, type IngestEnvelope } from './envelopes';
import type { MessageRecord, MessageStatus } from './message';
import type { HealthCheck, RouteSelected, RoutingTable } from './routing';
import type { TransitionOptions, TransitionResult } from './transition';

/**
 * The ROUTED change that claims attempt `attempt` for the carrier a routing decision chose
 * (from attempt n-1), with the decision's reason. One rule for the router's claim and for the
 * API, which applies it to a new record for attempt 1.
 *
 * @example ports.transition(id, 'ROUTED', routedChange(decision, 2))
 */
export function routedChange(decision: RouteSelected, attempt: number): TransitionOptions {
  return { carrierId: decision.carrierId, attempt, expectedAttempt: attempt - 1, reason: decision.reason };
}

export interface RouterPorts {
  transition(id: string, to: MessageStatus, options: TransitionOptions): Promise<TransitionResult>;
  enqueueForCarrier(envelope: CarrierEnvelope): Promise<void>;
  health(): Promise<HealthCheck>;
  now(): Date;
}

export type RouteOutcome =
  | { outcome: 'routed'; carrierId: string; routeId?: string; redelivered: boolean }
  | { outcome: 'rejected'; reason: string }
  | { outcome: 'expired' }
  | { outcome: 'skipped'; status: MessageStatus | 'MISSING' };

export class MessageMissingError extends Error {
  constructor(readonly messageId: string) {
    super(`message ${messageId} is not in the table`);
    this.name = 'MessageMissingError';
  }
}

export async function routeMessage(envelope: IngestEnvelope, table: RoutingTable, ports: RouterPorts): Promise<RouteOutcome> {
  const previous = envelope.attempt - 1;
  const skipped = async (result: { applied: false; current: MessageRecord | undefined }): Promise<RouteOutcome> => {
    if (!result.current) throw new MessageMissingError(envelope.messageId);
    return { outcome: 'skipped', status: result.current.status };
  };

  if (ports.now().getTime() > Date.parse(envelope.validUntil)) {
    // Validity is absolute: expire whatever attempt the message is on (a claimed but unsent attempt included).
    const r = await ports.transition(envelope.messageId, 'EXPIRED', { reason: 'validity_elapsed' });
    return r.applied ? { outcome: 'expired' } : skipped(r);
  }

  const decision = table.select(envelope, await ports.health());
  if (decision.outcome === 'no_route') {
    const r = await ports.transition(envelope.messageId, 'REJECTED', { reason: 'no_route', expectedAttempt: previous });
    return r.applied ? { outcome: 'rejected', reason: 'no_route' } : skipped(r);
  }

  const claim = await ports.transition(envelope.messageId, 'ROUTED', {
    ...routedChange(decision, envelope.attempt),
    // Its deadline is the end of validity again (it was the retry time while RETRYING).
    set: { dueAt: envelope.validUntil },
  });
  if (claim.applied) {
    await ports.enqueueForCarrier(carrierEnvelope(claim.record, decision.carrierId, envelope.attempt));
    return { outcome: 'routed', carrierId: decision.carrierId, routeId: decision.routeId, redelivered: false };
  }
  const current = claim.current;
  if (current && current.status === 'ROUTED' && current.attempt === envelope.attempt && current.carrierId) {
    // Redelivered after the claim: the first run may have died before sending.
    await ports.enqueueForCarrier(carrierEnvelope(current, current.carrierId, envelope.attempt));
    return { outcome: 'routed', carrierId: current.carrierId, redelivered: true };
  }
  return skipped(claim);
}

