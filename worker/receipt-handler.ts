/**
 * What the worker does with a delivery receipt: correlates it by its SMSC id
 * (normalised per the carrier's receiptIdFormat) and applies it through the
 * DeliveryStore, with its log line and metrics; and a deliver_sm that could not
 * be read is recorded (its reason only) so it can be answered.
 *
 * @example
 *   const receipts = new ReceiptHandler(carrier, { delivery, log, metrics });
 *   await receipts.apply(receipt); // resolves once it is durable: then deliver_sm is answered
 */
import type { DeliveryStore } from '../core/aws/delivery-store';
import type { CarrierConfig } from '../core/config/schema';
import { normaliseSmscId, type Receipt } from '../core/domain/receipt';
import type { Log } from './log';
import type { MetricsPublisher } from './metrics';

export interface ReceiptHandlerDeps {
  delivery: Pick<DeliveryStore, 'applyReceipt' | 'recordMalformed'>;
  log: Log;
  metrics?: Pick<MetricsPublisher, 'count' | 'observe'>;
  /** @default Date.now */
  now?: () => number;
}

export class ReceiptHandler {
  constructor(
    private readonly carrier: Pick<CarrierConfig, 'id' | 'receiptIdFormat'>,
    private readonly deps: ReceiptHandlerDeps,
  ) {}

  /** Applies a receipt to its message, or holds it until its SMSC id is known. */
  async apply(receipt: Receipt): Promise<void> {
    const { carrier, deps } = this;
    const key = normaliseSmscId(receipt.smscId, carrier.receiptIdFormat, 'receipt');
    const result = await deps.delivery.applyReceipt(carrier.id, key, receipt);
    deps.log(result.outcome === 'pending' ? 'RECEIPT_UNMATCHED' : 'RECEIPT_APPLIED', { carrierId: carrier.id, smscId: key, state: receipt.state, ...result });
    if (result.outcome === 'pending') deps.metrics?.count(carrier.id, 'UnmatchedReceipts');
    // Counted once per message: only the receipt that made it final carries a status.
    if (result.outcome === 'applied' && result.status) {
      deps.metrics?.count(carrier.id, result.status === 'DELIVERED' ? 'Delivered' : 'Undelivered');
      if (result.submittedAt) deps.metrics?.observe(carrier.id, 'ReceiptLatency', (deps.now ?? Date.now)() - Date.parse(result.submittedAt));
    }
  }

  /** Records a deliver_sm that could not be read: the reason only, never the text, so the SMSC is answered and does not resend it forever. */
  async malformed(reason: string, esmClass: number): Promise<void> {
    await this.deps.delivery.recordMalformed(this.carrier.id, reason, esmClass);
    this.deps.log('RECEIPT_MALFORMED', { carrierId: this.carrier.id, reason, esmClass });
  }
}
