/**
 * What the worker does with an inbound (MO) message: each part is stored in the
 * InboundStore until the message is complete (reassembly); the complete message is
 * given to the tenant that owns its destination (core/domain/number-ownership.ts) and
 * recorded once under its deterministic id (InboundStore.record): a deliver_sm the
 * SMSC resends finds it recorded and records nothing. The table stream turns the
 * recorded item into the tenant's message.inbound webhook event and the InboundEvent
 * on the inbound topic (the outbox), so each is published once, even after a crash
 * here. Then an opt-out keyword is applied and answered (keyword-handler.ts, again on
 * a resend: its writes are idempotent). A message to a number no tenant owns is
 * recorded all the same (kept, never lost), without a tenant, logged INBOUND_UNOWNED
 * and counted (InboundUnowned). The parts are confirmed only after all that, and
 * released when it fails, so the SMSC's resend (deliver_sm unanswered) completes it
 * again: handled at least once, recorded once.
 *
 * @example
 *   const inbound = new InboundHandler(carrier, { inbound: store, log, tenants, keywords });
 *   await inbound.handle({ from: '+447700900123', to: '447700900000', text: 'STOP', dataCoding: 0 });
 */
import type { InboundPart, InboundStore } from '../core/aws/inbound-store';
import type { CarrierConfig } from '../core/config/schema';
import { NumberOwnership, type InboundTenant } from '../core/domain/number-ownership';
import type { KeywordHandler } from './keyword-handler';
import type { Log } from './log';
import type { MetricsPublisher } from './metrics';

export interface InboundHandlerDeps {
  inbound: Pick<InboundStore, 'addPart' | 'record'>;
  log: Log;
  /** The tenants with their numbers and opt-out settings (worker settings). */
  tenants: readonly InboundTenant[];
  keywords: Pick<KeywordHandler, 'handle'>;
  metrics?: Pick<MetricsPublisher, 'count'>;
}

export class InboundHandler {
  private readonly owners: NumberOwnership<InboundTenant>;

  constructor(
    private readonly carrier: Pick<CarrierConfig, 'id'>,
    private readonly deps: InboundHandlerDeps,
  ) {
    this.owners = new NumberOwnership(deps.tenants);
  }

  /** Stores one part; records the message once every part is in, and applies its keyword. Resolves once that is durable. */
  async handle(part: Omit<InboundPart, 'carrierId'>): Promise<void> {
    const { carrier, deps } = this;
    const complete = await deps.inbound.addPart({ carrierId: carrier.id, ...part });
    if (!complete) {
      deps.log('INBOUND_PART_STORED', { carrierId: carrier.id, from: part.from, part: part.concat?.sequence, of: part.concat?.total });
      return;
    }
    const owner = this.owners.ownerOf(complete.message.to);
    let recorded: Awaited<ReturnType<InboundHandlerDeps['inbound']['record']>>;
    try {
      recorded = await deps.inbound.record(complete, owner?.tenant.id);
      if (owner) {
        const keyword = await deps.keywords.handle(recorded.message, owner);
        if (keyword) deps.log('KEYWORD_HANDLED', { carrierId: carrier.id, tenantId: owner.tenant.id, inboundId: recorded.message.id, from: recorded.message.from, ...keyword });
      }
    } catch (err) {
      await complete.release();
      throw err;
    }
    await complete.confirm();
    const { message, created } = recorded;
    if (!created) {
      deps.log('INBOUND_DUPLICATE', { carrierId: carrier.id, inboundId: message.id, from: message.from });
      return;
    }
    if (!owner) {
      deps.log('INBOUND_UNOWNED', { carrierId: carrier.id, inboundId: message.id, from: message.from, to: message.to });
      deps.metrics?.count(carrier.id, 'InboundUnowned');
    }
    deps.log('INBOUND_RECORDED', { carrierId: carrier.id, inboundId: message.id, ...(owner ? { tenantId: owner.tenant.id } : {}), from: message.from, parts: message.parts });
  }
}
