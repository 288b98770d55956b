/**
 * What a deliver_sm carries, decided without I/O: a delivery receipt, an inbound message, or
 * something malformed (kept with its reason and raw fields, and still answered, so the SMSC
 * does not resend it forever).
 *
 * @example
 * const pdu = classifyDeliver(deliver);
 * if (pdu.kind === 'receipt') await delivery.applyReceipt(carrierId, key(pdu.receipt.smscId), pdu.receipt);
 */
import { isReceiptParseError, receiptFromTlvs, type Receipt } from '../../core/domain/receipt';
import { isUsableConcat, type ConcatInfo } from '../../core/domain/udh';
import type { DeliverSm } from './session';

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

/**
 * esm_class message type (bits 2-5) 0x04, SMSC delivery receipt, or 0x20, intermediate delivery
 * notification (same format, a non-final state): both are receipts, never inbound messages.
 */
export function isReceiptType(esmClass: number): boolean {
  const messageType = esmClass & 0x3c;
  return messageType === 0x04 || messageType === 0x20;
}

function e164(addr: string, ton: number): string {
  return ton === 1 && /^[0-9]+$/.test(addr) ? `+${addr}` : addr;
}

export function classifyDeliver(d: DeliverSm): InboundPdu {
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
