/**
 * What the worker does with an inbound (MO) message: each part is stored in the
 * InboundStore until the message is complete (reassembly), and the complete
 * message is published on the inbound topic as an InboundEvent. The parts are
 * confirmed only after the publish, and released when it fails, so the SMSC's
 * resend (deliver_sm unanswered) completes it again: published at least once.
 *
 * @example
 *   const inbound = new InboundHandler(carrier, { inbound: store, sns, inboundTopicArn, log });
 *   await inbound.handle({ from: '+447700900123', to: '447700900000', text: 'STOP', dataCoding: 0 });
 */
import { PublishCommand, type SNSClient } from '@aws-sdk/client-sns';
import type { InboundMessage, InboundPart, InboundStore } from '../core/aws/inbound-store';
import type { CarrierConfig } from '../core/config/schema';
import type { Log } from './log';

/** The inbound event published on the inbound topic (schema version 1). */
export type InboundEvent = { version: 1; type: 'inbound' } & InboundMessage;

export interface InboundHandlerDeps {
  inbound: Pick<InboundStore, 'addPart'>;
  sns: Pick<SNSClient, 'send'>;
  inboundTopicArn: string;
  log: Log;
}

export class InboundHandler {
  constructor(
    private readonly carrier: Pick<CarrierConfig, 'id'>,
    private readonly deps: InboundHandlerDeps,
  ) {}

  /** Stores one part; publishes the message once every part is in. Resolves once that is durable. */
  async handle(part: Omit<InboundPart, 'carrierId'>): Promise<void> {
    const { carrier, deps } = this;
    const complete = await deps.inbound.addPart({ carrierId: carrier.id, ...part });
    if (!complete) {
      deps.log('INBOUND_PART_STORED', { carrierId: carrier.id, from: part.from, part: part.concat?.sequence, of: part.concat?.total });
      return;
    }
    const event: InboundEvent = { version: 1, type: 'inbound', ...complete.message };
    try {
      await deps.sns.send(new PublishCommand({ TopicArn: deps.inboundTopicArn, Message: JSON.stringify(event), MessageAttributes: { carrierId: { DataType: 'String', StringValue: carrier.id } } }));
    } catch (err) {
      await complete.release();
      throw err;
    }
    await complete.confirm();
    deps.log('INBOUND_PUBLISHED', { carrierId: carrier.id, inboundId: event.id, from: event.from, parts: event.parts });
  }
}
