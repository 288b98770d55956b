/**
 * The User Data Header (3GPP TS 23.040 §9.2.3.24) at the start of short_message when
 * esm_class has UDHI (pure: no I/O, no `smpp` import). The gateway builds one kind, the
 * 6-octet concatenation header of its multi-part messages, and reads every kind an SMSC
 * or an ESME sends: {@link parseUdh} is the one parser the SMPP session, the carrier
 * connection (through the session's deliver_sm) and the SMSC simulator share.
 *
 * @example
 * const { elements, concat, payload } = parseUdh(shortMessage); // when esm_class & ESM_CLASS_UDHI
 * if (concat) parts.add(concat.reference, concat.sequence, payload);
 */
import { Buffer } from 'node:buffer';

/** esm_class bit: short_message starts with a User Data Header. */
export const ESM_CLASS_UDHI = 0x40;

export interface ConcatInfo {
  reference: number;
  total: number;
  sequence: number;
}

export interface ParsedUdh {
  /** Every information element in order, each as its octets `[iei, length, ...data]` (copies). */
  elements: Buffer[];
  /** From the last usable concatenation element (IEI 0x00, 8-bit reference; 0x08, 16-bit). */
  concat?: ConcatInfo;
  /** The user data after the header (a copy). */
  payload: Buffer;
}

const IEI_CONCAT_8BIT = 0x00;
const IEI_CONCAT_16BIT = 0x08;

/**
 * Whether concatenation info can place a part: 23.040 says to ignore an element with total
 * 0, sequence 0 or a sequence past the total. SAR TLVs carry the same three numbers and
 * follow the same rule.
 */
export function isUsableConcat(info: ConcatInfo): boolean {
  return info.total > 0 && info.sequence > 0 && info.sequence <= info.total;
}

function checkOctet(name: string, value: number, min: number): void {
  if (!Number.isInteger(value) || value < min || value > 0xff) {
    throw new RangeError(`concat UDH ${name} must be an integer ${min}..255, got ${value}`);
  }
}

/** Build the 6-octet concatenation UDH: 05 00 03 ref total seq (8-bit reference). */
export function concatUdh(reference: number, total: number, sequence: number): Buffer {
  checkOctet('reference', reference, 0);
  checkOctet('total', total, 1);
  checkOctet('sequence', sequence, 1);
  if (sequence > total) throw new RangeError(`concat UDH sequence ${sequence} exceeds total ${total}`);
  return Buffer.from([0x05, IEI_CONCAT_8BIT, 0x03, reference, total, sequence]);
}

function concatFrom(element: Buffer): ConcatInfo | undefined {
  const [iei, length] = element;
  if (iei === IEI_CONCAT_8BIT && length === 3) {
    return { reference: element.readUInt8(2), total: element.readUInt8(3), sequence: element.readUInt8(4) };
  }
  if (iei === IEI_CONCAT_16BIT && length === 4) {
    return { reference: element.readUInt16BE(2), total: element.readUInt8(4), sequence: element.readUInt8(5) };
  }
  return undefined;
}

/**
 * Parse the UDH at the start of user data (short_message, or message_payload when that is
 * where the text came): its information elements, the concatenation info (when several
 * usable concatenation elements occur, the last one counts, as 23.040 says) and the payload.
 * Throws a RangeError when there is no data or the header overruns it; callers reading
 * what a peer sent turn that into a malformed message, never a crash.
 */
export function parseUdh(bytes: Uint8Array): ParsedUdh {
  const data = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (data.length === 0) throw new RangeError('UDH indicator set but the user data is empty');
  const end = 1 + data.readUInt8(0);
  if (end > data.length) {
    throw new RangeError(`UDH length ${end - 1} exceeds the ${data.length - 1} octets that follow`);
  }
  const elements: Buffer[] = [];
  let concat: ConcatInfo | undefined;
  for (let i = 1; i < end; ) {
    if (i + 2 > end) throw new RangeError(`UDH truncated: the element at octet ${i} has no length octet`);
    const next = i + 2 + data.readUInt8(i + 1);
    if (next > end) throw new RangeError(`UDH element 0x${data.readUInt8(i).toString(16).padStart(2, '0')} overruns the header`);
    const element = Buffer.from(data.subarray(i, next));
    elements.push(element);
    const found = concatFrom(element);
    if (found && isUsableConcat(found)) concat = found;
    i = next;
  }
  const payload = Buffer.from(data.subarray(end));
  return concat ? { elements, concat, payload } : { elements, payload };
}
