/**
 * Golden vectors for submit_sm construction: the exact octets each split mode puts on the wire.
 * Expected bytes are written out by hand (hex), not computed with the encoder under test.
 */
import { describe, expect, it } from 'vitest';
import { addressTon, buildSubmitPdus, smppAbsoluteTime, type OutboundMessage } from '../../core/domain/submit-pdus';

const hex = (b: Buffer | undefined): string => (b ?? Buffer.alloc(0)).toString('hex').toUpperCase();
const rep = (h: string, n: number): string => h.repeat(n);

function message(overrides: Partial<OutboundMessage> = {}): OutboundMessage {
  return {
    to: '+447400123456',
    from: 'ACME',
    text: 'Hello',
    encoding: 'GSM7',
    validUntil: '2025-01-02T03:04:05.678Z',
    concatReference: 0x2a,
    ...overrides,
  };
}

// 306 GSM characters whose GSM 03.38 codes equal their ASCII codes: '0'..'9' = 30..39.
const DIGITS_306 = '0123456789'.repeat(30) + '012345';
const digitsHex = (from: number, to: number): string =>
  Buffer.from(DIGITS_306.slice(from, to), 'ascii').toString('hex').toUpperCase();

describe('buildSubmitPdus: single message', () => {
  it('is one PDU with esm_class 0, exact GSM octets and the addresses with TON/NPI', () => {
    // Prepare: '@' is septet 00, '£' 01, 'é' 05 — where GSM and latin1 differ.
    const [pdu, ...rest] = buildSubmitPdus(message({ text: '@£é ok' }), 'udh');
    // Assess
    expect(rest).toHaveLength(0);
    expect(pdu).toEqual({
      source_addr: 'ACME',
      source_addr_ton: 5,
      source_addr_npi: 0,
      destination_addr: '447400123456',
      dest_addr_ton: 1,
      dest_addr_npi: 1,
      esm_class: 0,
      data_coding: 0,
      registered_delivery: 1,
      validity_period: '250102030405000+',
      short_message: Buffer.from('000105206F6B', 'hex'),
    });
  });

  it('keeps exactly 160 septets in one PDU and splits 161 into 153 + 8', () => {
    expect(buildSubmitPdus(message({ text: 'a'.repeat(160) }), 'udh')).toHaveLength(1);
    const parts = buildSubmitPdus(message({ text: 'a'.repeat(161) }), 'udh');
    expect(parts.map((p) => p.short_message.length)).toEqual([6 + 153, 6 + 8]);
  });

  it('keeps exactly 70 UCS-2 units in one PDU, data_coding 8, UTF-16BE', () => {
    const [pdu, ...rest] = buildSubmitPdus(message({ text: 'ж'.repeat(70), encoding: 'UCS2' }), 'udh');
    expect(rest).toHaveLength(0);
    expect(pdu?.data_coding).toBe(8);
    expect(pdu?.esm_class).toBe(0);
    expect(hex(pdu?.short_message)).toBe(rep('0436', 70));
  });

  it('sends an emoji-only UCS-2 text as its surrogate pair', () => {
    const [pdu] = buildSubmitPdus(message({ text: 'hi 😀', encoding: 'UCS2' }), 'udh');
    expect(hex(pdu?.short_message)).toBe('006800690020D83DDE00');
  });

  it('ignores the split mode for a single message (no TLVs, no payload)', () => {
    for (const mode of ['udh', 'sar', 'payload'] as const) {
      const [pdu, ...rest] = buildSubmitPdus(message(), mode);
      expect(rest).toHaveLength(0);
      expect(pdu?.sar_msg_ref_num).toBeUndefined();
      expect(pdu?.message_payload).toBeUndefined();
      expect(hex(pdu?.short_message)).toBe('48656C6C6F');
    }
  });
});

describe('buildSubmitPdus: udh mode', () => {
  it('splits 306 GSM characters into 2 parts with 05 00 03 ref 02 01/02', () => {
    const parts = buildSubmitPdus(message({ text: DIGITS_306 }), 'udh');
    expect(parts).toHaveLength(2);
    expect(hex(parts[0]?.short_message)).toBe('0500032A0201' + digitsHex(0, 153));
    expect(hex(parts[1]?.short_message)).toBe('0500032A0202' + digitsHex(153, 306));
    for (const p of parts) {
      expect(p.esm_class).toBe(0x40);
      expect(p.data_coding).toBe(0);
      expect(p.sar_msg_ref_num).toBeUndefined();
    }
  });

  it('never splits an extension character from its escape: 152 + ESC € at the boundary', () => {
    // 152 'a' then '€' (1B 65, two septets) would end at septet 154: it moves to part 2.
    const text = 'a'.repeat(152) + '€' + 'b'.repeat(10);
    const parts = buildSubmitPdus(message({ text, concatReference: 7 }), 'udh');
    expect(parts.map((p) => hex(p.short_message))).toEqual([
      '050003070201' + rep('61', 152),
      '050003070202' + '1B65' + rep('62', 10),
    ]);
  });

  it('never splits a surrogate pair: an emoji straddling unit 67 moves to part 2', () => {
    const text = 'ж'.repeat(66) + '😀' + 'ж'.repeat(5);
    const parts = buildSubmitPdus(message({ text, encoding: 'UCS2', concatReference: 0xff }), 'udh');
    expect(parts.map((p) => hex(p.short_message))).toEqual([
      '050003FF0201' + rep('0436', 66),
      '050003FF0202' + 'D83DDE00' + rep('0436', 5),
    ]);
    expect(parts.every((p) => p.data_coding === 8 && p.esm_class === 0x40)).toBe(true);
  });
});

describe('buildSubmitPdus: sar and payload modes', () => {
  it('sar: bare parts with sar_msg_ref_num, sar_total_segments, sar_segment_seqnum', () => {
    const parts = buildSubmitPdus(message({ text: DIGITS_306 }), 'sar');
    expect(parts.map((p) => [hex(p.short_message), p.esm_class, p.sar_msg_ref_num, p.sar_total_segments, p.sar_segment_seqnum])).toEqual([
      [digitsHex(0, 153), 0, 0x2a, 2, 1],
      [digitsHex(153, 306), 0, 0x2a, 2, 2],
    ]);
  });

  it('payload: one PDU, empty short_message, the whole text in message_payload', () => {
    const parts = buildSubmitPdus(message({ text: DIGITS_306 }), 'payload');
    expect(parts).toHaveLength(1);
    expect(parts[0]?.short_message.length).toBe(0);
    expect(hex(parts[0]?.message_payload)).toBe(digitsHex(0, 306));
    expect(parts[0]?.esm_class).toBe(0);
  });

  it('payload keeps escapes and surrogate pairs intact', () => {
    const text = 'ж'.repeat(70) + '😀';
    const [pdu] = buildSubmitPdus(message({ text, encoding: 'UCS2' }), 'payload');
    expect(hex(pdu?.message_payload)).toBe(rep('0436', 70) + 'D83DDE00');
  });
});

describe('addresses', () => {
  it('maps alphanumeric, international and short code senders to TON/NPI', () => {
    expect(addressTon('ACME')).toEqual({ ton: 5, npi: 0, addr: 'ACME' });
    expect(addressTon('My Shop 1')).toEqual({ ton: 5, npi: 0, addr: 'My Shop 1' });
    expect(addressTon('+447400123456')).toEqual({ ton: 1, npi: 1, addr: '447400123456' });
    expect(addressTon('60123')).toEqual({ ton: 3, npi: 0, addr: '60123' });
    expect(addressTon('12345678')).toEqual({ ton: 3, npi: 0, addr: '12345678' });
    expect(addressTon('447400123456')).toEqual({ ton: 1, npi: 1, addr: '447400123456' });
    expect(addressTon('')).toEqual({ ton: 0, npi: 0, addr: '' });
  });

  it('uses the default source when the message has none, and an empty one when neither is set', () => {
    const { from: _omit, ...noFrom } = message();
    expect(buildSubmitPdus(noFrom, 'udh', '+15550001')[0]).toMatchObject({ source_addr: '15550001', source_addr_ton: 1, source_addr_npi: 1 });
    expect(buildSubmitPdus(noFrom, 'udh', '60123')[0]).toMatchObject({ source_addr: '60123', source_addr_ton: 3, source_addr_npi: 0 });
    expect(buildSubmitPdus(noFrom, 'udh')[0]).toMatchObject({ source_addr: '', source_addr_ton: 0, source_addr_npi: 0 });
  });

  it('rejects a destination that is not E.164', () => {
    expect(() => buildSubmitPdus(message({ to: '447400123456' }), 'udh')).toThrow(RangeError);
    expect(() => buildSubmitPdus(message({ to: '+44 7400' }), 'udh')).toThrow(/E\.164/);
  });
});

describe('validity_period', () => {
  it('formats absolute UTC time YYMMDDhhmmss000+', () => {
    expect(smppAbsoluteTime('2025-01-02T03:04:05.678Z')).toBe('250102030405000+');
    expect(smppAbsoluteTime('2025-12-31T23:59:59Z')).toBe('251231235959000+');
  });

  it('converts an offset to UTC', () => {
    expect(smppAbsoluteTime('2025-01-02T05:04:05+02:00')).toBe('250102030405000+');
  });

  it("keeps '' (the SMSC's default) and rejects what is not a date", () => {
    expect(buildSubmitPdus(message({ validUntil: '' }), 'udh')[0]?.validity_period).toBe('');
    expect(() => buildSubmitPdus(message({ validUntil: 'tomorrow' }), 'udh')).toThrow(RangeError);
  });
});

describe('errors', () => {
  it('rejects a concat reference outside 0..255', () => {
    expect(() => buildSubmitPdus(message({ concatReference: 256 }), 'udh')).toThrow(/0\.\.255/);
    expect(() => buildSubmitPdus(message({ concatReference: -1 }), 'udh')).toThrow(RangeError);
  });

  it('rejects GSM7 forced on text outside the GSM alphabet', () => {
    expect(() => buildSubmitPdus(message({ text: 'жж' }), 'udh')).toThrow(RangeError);
  });
});
