/**
 * What the worker does with an inbound (MO) message: each part is stored in the
 * InboundStore until the message is complete (reassembly); the complete message is
 * given to the tenant that owns its destination (core/domain/number-ownership.ts) —
 * an opt-out keyword is applied and answered (keyword-handler.ts) — and published on
 * the inbound topic as an InboundEvent, with that tenant's id. A message to a number
 * no tenant owns is published all the same (kept, never lost), without a tenant,
 * logged INBOUND_UNOWNED and counted (InboundUnowned). The parts are confirmed only
 * after the publish, and released when the keyword or the publish fails, so the
 * SMSC's resend (deliver_sm unanswered) completes it again: handled at least once.
 *
 * @example
 *   const inbound = new InboundHandler(carrier, { inbound: store, sns, inboundTopicArn, log, tenants, keywords });
 *   await inbound.handle({ from: '+447700900123', to: '447700900000', text: 'STOP', dataCoding: 0 });
 */
import { PublishCommand, type SNSClient } from '@aws-sdk/client-sns';
import type { InboundMessage, InboundPart, InboundStore } from '../core/aws/inbound-store';
import type { CarrierConfig } from '../core/config/schema';
import { NumberOwnership, type InboundTenant } from '../core/domain/number-ownership';
import type { KeywordHandler } from './keyword-handler';
import type { Log } from './log';
import type { MetricsPublisher } from './metrics';

/** The inbound event published on the inbound topic (schema version 1); `tenantId` when a tenant owns `to`. */
export type InboundEvent = { version: 1; type: 'inbound'; tenantId?: string } & InboundMessage;

export interface InboundHandlerDeps {
  inbound: Pick<InboundStore, 'addPart'>;
  sns: Pick<SNSClient, 'send'>;
  inboundTopicArn: string;
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

  /** Stores one part; handles and publishes the message once every part is in. Resolves once that is durable. */
  async handle(part: Omit<InboundPart, 'carrierId'>): Promise<void> {
    const { carrier, deps } = this;
    const complete = await deps.inbound.addPart({ carrierId: carrier.id, ...part });
    if (!complete) {
      deps.log('INBOUND_PART_STORED', { carrierId: carrier.id, from: part.from, part: part.concat?.sequence, of: part.concat?.total });
      return;
    }
    const { message } = complete;
    const owner = this.owners.ownerOf(message.to);
    const event: InboundEvent = { version: 1, type: 'inbound', ...(owner ? { tenantId: owner.tenant.id } : {}), ...message };
    try {
      if (owner) {
        const keyword = await deps.keywords.handle(message, owner);
        if (keyword) deps.log('KEYWORD_HANDLED', { carrierId: carrier.id, tenantId: owner.tenant.id, inboundId: message.id, from: message.from, ...keyword });
      }
      await deps.sns.send(new PublishCommand({ TopicArn: deps.inboundTopicArn, Message: JSON.stringify(event), MessageAttributes: { carrierId: { DataType: 'String', StringValue: carrier.id }, ...(owner ? { tenantId: { DataType: 'String', StringValue: owner.tenant.id } } : {}) } }));
    } catch (err) {
      await complete.release();
      throw err;
    }
    await complete.confirm();
    if (!owner) {
      deps.log('INBOUND_UNOWNED', { carrierId: carrier.id, inboundId: event.id, from: event.from, to: event.to });
      deps.metrics?.count(carrier.id, 'InboundUnowned');
    }
    deps.log('INBOUND_PUBLISHED', { carrierId: carrier.id, inboundId: event.id, ...(owner ? { tenantId: owner.tenant.id } : {}), from: event.from, parts: event.parts });
  }
}
