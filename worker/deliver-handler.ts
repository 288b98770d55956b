/**
 * The carrier connection's onDeliver: sends each deliver_sm to what handles its
 * kind (a receipt, an unreadable PDU, an inbound message part) and resolves only
 * once that is durable, because the connection answers deliver_sm after it —
 * an SMSC whose deliver_sm is unanswered sends it again, one that was answered
 * never does.
 *
 * @example
 *   new CarrierConnection({ carrier, password, log, onDeliver: deliverHandler(carrier, { delivery, inbound, log, tenants, keywords }) });
 */
import type { CarrierConfig } from '../core/config/schema';
import { InboundHandler, type InboundHandlerDeps } from './inbound-handler';
import { ReceiptHandler, type ReceiptHandlerDeps } from './receipt-handler';
import type { InboundPdu } from './smpp/carrier-connection';

export type DeliverHandlerDeps = ReceiptHandlerDeps & InboundHandlerDeps;

/** Records what a deliver_sm carried; resolves only once it is durable (the caller answers after that). */
export function deliverHandler(carrier: Pick<CarrierConfig, 'id' | 'receiptIdFormat'>, deps: DeliverHandlerDeps): (pdu: InboundPdu) => Promise<void> {
  const receipts = new ReceiptHandler(carrier, deps);
  const inbound = new InboundHandler(carrier, deps);
  return async (pdu) => {
    if (pdu.kind === 'receipt') return receipts.apply(pdu.receipt);
    if (pdu.kind === 'malformed') return receipts.malformed(pdu.reason, pdu.esmClass);
    return inbound.handle({ from: pdu.from, to: pdu.to, text: pdu.text, dataCoding: pdu.dataCoding, ...(pdu.concat ? { concat: pdu.concat } : {}) });
  };
}
