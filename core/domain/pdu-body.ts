/**
 * The exact short_message and TLV octets of a raw submit_sm or deliver_sm
 * (both lay out their mandatory fields alike). The `smpp` package only hands
 * out short_message already decoded to text, which loses octets (GSM escapes,
 * invalid septets); the session wrapper and the SMSC simulator read the raw
 * PDU with this instead. Pure: no `smpp` import.
 */
export interface PduBody {
  shortMessage: Buffer;
  /** TLVs in the order they came, tag → value (a repeated tag keeps the last). */
  tlvs: Map<number, Buffer>;
}

/** Undefined when the octets do not parse as a submit_sm/deliver_sm body. */
export function readPduBody(raw: Buffer): PduBody | undefined {
  let o = 16; // after the header
  const skipCString = (): void => {
    const end = raw.indexOf(0, o);
    if (end < 0) throw new RangeError('unterminated C-Octet String');
    o = end + 1;
  };
  try {
    skipCString(); // service_type
    o += 2; // source_addr_ton, source_addr_npi
    skipCString(); // source_addr
    o += 2; // dest_addr_ton, dest_addr_npi
    skipCString(); // destination_addr
    o += 3; // esm_class, protocol_id, priority_flag
    skipCString(); // schedule_delivery_time
    skipCString(); // validity_period
    o += 4; // registered_delivery, replace_if_present_flag, data_coding, sm_default_msg_id
    const length = raw.readUInt8(o);
    o += 1;
    if (o + length > raw.length) return undefined;
    const shortMessage = Buffer.from(raw.subarray(o, o + length));
    o += length;
    const tlvs = new Map<number, Buffer>();
    while (o + 4 <= raw.length) {
      const tag = raw.readUInt16BE(o);
      const size = raw.readUInt16BE(o + 2);
      if (o + 4 + size > raw.length) return undefined;
      tlvs.set(tag, Buffer.from(raw.subarray(o + 4, o + 4 + size)));
      o += 4 + size;
    }
    return { shortMessage, tlvs };
  } catch {
    return undefined;
  }
}
