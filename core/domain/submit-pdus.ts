/**
 * One outbound message as the submit_sm PDUs that carry it (pure: no I/O, no `smpp` import).
 *
 * The SMPP worker hands the result to its session wrapper unchanged, so every byte is
 * decided here and covered by golden tests: addresses with TON/NPI, data_coding, the
 * exact short_message octets (GSM 03.38 unpacked or UTF-16BE), and how a long text is
 * split — a concatenation UDH (`udh`), SAR TLVs (`sar`) or the whole text in
 * message_payload (`payload`), whichever the carrier accepts (carrier setting splitMode).
 *
 * @example
 * const pdus = buildSubmitPdus(
 *   { to: '+447400123456', from: 'ACME', text, encoding: 'GSM7', validUntil: '2025-01-02T03:04:05Z', concatReference: 42 },
 *   carrier.splitMode,
 * );
 * for (const pdu of pdus) await session.request('submit_sm', pdu, timeoutMs);
 */
import { Buffer } from 'node:buffer';
import { encodeGsm7, encodeUcs2, splitText, type Encoding } from './encoding';
import { concatUdh, ESM_CLASS_UDHI } from './udh';

export type SplitMode = 'udh' | 'sar' | 'payload';

export interface OutboundMessage {
  /** Destination in E.164 with the leading "+". */
  to: string;
  /** Sender id: alphanumeric, "+" international number, or short code. Default: the carrier's. */
  from?: string;
  text: string;
  encoding: Encoding;
  /** ISO 8601 instant after which the SMSC may drop the message; '' for the SMSC's default. */
  validUntil: string;
  /** Concatenation reference 0..255, chosen by the caller (the same for every part of one message). */
  concatReference: number;
}

export interface SubmitSmParams {
  source_addr: string;
  source_addr_ton: number;
  source_addr_npi: number;
  destination_addr: string;
  dest_addr_ton: 1;
  dest_addr_npi: 1;
  esm_class: number;
  data_coding: 0 | 8;
  registered_delivery: 1;
  /** SMPP absolute time 'YYMMDDhhmmss000+' (UTC), or '' for the SMSC's default. */
  validity_period: string;
  /** The exact octets (UDH included in 'udh' mode). */
  short_message: Buffer;
  sar_msg_ref_num?: number;
  sar_total_segments?: number;
  sar_segment_seqnum?: number;
  message_payload?: Buffer;
}

const DATA_CODING: Readonly<Record<Encoding, 0 | 8>> = { GSM7: 0, UCS2: 8 };

/** Longest short code written without "+" (longer digit strings are international numbers). */
const SHORT_CODE_MAX_DIGITS = 8;

/**
 * TON/NPI of a source address, and the address as it goes on the wire:
 * - "+" and digits (international): TON 1, NPI 1 (E.164), without the "+";
 * - up to 8 digits (short code): TON 3 (national), NPI 0;
 * - more digits without "+": an international number written without its "+": TON 1, NPI 1;
 * - anything with a letter or another character (alphanumeric sender id): TON 5, NPI 0;
 * - '' (let the SMSC use the account's default): TON 0, NPI 0.
 *
 * @example addressTon('+447400123456') // { ton: 1, npi: 1, addr: '447400123456' }
 * @example addressTon('ACME')          // { ton: 5, npi: 0, addr: 'ACME' }
 * @example addressTon('60123')         // { ton: 3, npi: 0, addr: '60123' }
 */
export function addressTon(addr: string): { ton: number; npi: number; addr: string } {
  if (addr === '') return { ton: 0, npi: 0, addr };
  if (/^\+[0-9]+$/.test(addr)) return { ton: 1, npi: 1, addr: addr.slice(1) };
  if (/^[0-9]+$/.test(addr)) {
    return addr.length <= SHORT_CODE_MAX_DIGITS ? { ton: 3, npi: 0, addr } : { ton: 1, npi: 1, addr };
  }
  return { ton: 5, npi: 0, addr };
}

/**
 * An ISO 8601 instant as SMPP absolute time in UTC: 'YYMMDDhhmmss' + tenths '0' + quarter-hour
 * offset '00' + '+'. '' stays '' (the SMSC's default validity). Throws a RangeError on an
 * unparseable date.
 *
 * @example smppAbsoluteTime('2025-01-02T03:04:05.678Z') // '250102030405000+'
 */
export function smppAbsoluteTime(iso: string): string {
  if (iso === '') return '';
  const ms = Date.parse(iso);
  if (!Number.isFinite(ms)) throw new RangeError(`validUntil must be an ISO 8601 date-time, got "${iso.slice(0, 40)}"`);
  const d = new Date(ms);
  const two = (n: number): string => String(n).padStart(2, '0');
  return (
    `${two(d.getUTCFullYear() % 100)}${two(d.getUTCMonth() + 1)}${two(d.getUTCDate())}` +
    `${two(d.getUTCHours())}${two(d.getUTCMinutes())}${two(d.getUTCSeconds())}000+`
  );
}

function encode(text: string, encoding: Encoding): Buffer {
  return encoding === 'GSM7' ? encodeGsm7(text) : encodeUcs2(text);
}

/**
 * The submit_sm PDUs for one message, in sending order. A text that fits one message is one
 * PDU (esm_class 0) whatever the mode. A longer one is split by {@link splitText} (153 septets /
 * 67 UCS-2 units per part, never inside an escape or a surrogate pair) and:
 * - `udh`: each part is concatUdh(ref, total, seq) + part octets, esm_class 0x40;
 * - `sar`: each part is the bare octets with sar_msg_ref_num / sar_total_segments / sar_segment_seqnum;
 * - `payload`: one PDU, empty short_message, the whole text in message_payload.
 *
 * Throws a RangeError when `to` is not E.164, `validUntil` is not a date, the reference is not
 * 0..255, GSM7 is forced on non-GSM text, or a split text needs more than 255 parts.
 */
export function buildSubmitPdus(msg: OutboundMessage, mode: SplitMode, defaultSource?: string): SubmitSmParams[] {
  if (!/^\+[0-9]{1,15}$/.test(msg.to)) throw new RangeError('to must be E.164: "+" and 1-15 digits');
  if (!Number.isInteger(msg.concatReference) || msg.concatReference < 0 || msg.concatReference > 0xff) {
    throw new RangeError(`concatReference must be an integer 0..255, got ${msg.concatReference}`);
  }
  const source = addressTon(msg.from ?? defaultSource ?? '');
  const base = {
    source_addr: source.addr,
    source_addr_ton: source.ton,
    source_addr_npi: source.npi,
    destination_addr: msg.to.slice(1),
    dest_addr_ton: 1,
    dest_addr_npi: 1,
    esm_class: 0,
    data_coding: DATA_CODING[msg.encoding],
    registered_delivery: 1,
    validity_period: smppAbsoluteTime(msg.validUntil),
  } as const;

  const { parts } = splitText(msg.text, msg.encoding);
  if (parts.length === 1) return [{ ...base, short_message: encode(msg.text, msg.encoding) }];
  if (mode === 'payload') {
    return [{ ...base, short_message: Buffer.alloc(0), message_payload: encode(msg.text, msg.encoding) }];
  }
  const total = parts.length;
  if (total > 0xff) throw new RangeError(`a message can have at most 255 parts, this one needs ${total}`);
  return parts.map((part, i): SubmitSmParams => {
    const bytes = encode(part, msg.encoding);
    if (mode === 'udh') {
      return { ...base, esm_class: ESM_CLASS_UDHI, short_message: Buffer.concat([concatUdh(msg.concatReference, total, i + 1), bytes]) };
    }
    return { ...base, short_message: bytes, sar_msg_ref_num: msg.concatReference, sar_total_segments: total, sar_segment_seqnum: i + 1 };
  });
}
