/**
 * The User Data Header: building the concatenation header and parsing every header a peer
 * sends (golden octets; malformed headers are RangeErrors the SMPP code turns into malformed messages).
 */
import { describe, it, expect } from 'vitest';
import { decodeGsm7, decodeUcs2, encodeGsm7, encodeUcs2 } from '../../core/domain/encoding';
import { concatUdh, isUsableConcat, parseUdh } from '../../core/domain/udh';

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex').toUpperCase();
const EMOJI = '😀'; // U+1F600, surrogate pair D83D DE00

describe('concatUdh', () => {
  it('builds 05 00 03 ref total seq', () => {
    expect(hex(concatUdh(0x42, 3, 1))).toBe('050003420301');
    expect(hex(concatUdh(0, 1, 1))).toBe('050003000101');
    expect(hex(concatUdh(255, 255, 255))).toBe('050003FFFFFF');
  });

  it.each([
    [256, 2, 1],
    [-1, 2, 1],
    [1.5, 2, 1],
    [1, 0, 1],
    [1, 256, 1],
    [1, 2, 0],
    [1, 2, 3],
  ])('rejects ref=%s total=%s seq=%s', (ref, total, seq) => {
    expect(() => concatUdh(ref, total, seq)).toThrow(RangeError);
  });
});

describe('parseUdh', () => {
  it('parses IEI 0x00 (8-bit reference)', () => {
    const bytes = Buffer.concat([Buffer.from('050003420302', 'hex'), encodeGsm7('Hi')]);
    const { concat, payload } = parseUdh(bytes);
    expect(concat).toEqual({ reference: 0x42, total: 3, sequence: 2 });
    expect(decodeGsm7(payload)).toBe('Hi');
  });

  it('parses IEI 0x08 (16-bit reference)', () => {
    const bytes = Buffer.concat([Buffer.from('06080412340201', 'hex'), encodeUcs2(EMOJI)]);
    const { concat, payload } = parseUdh(bytes);
    expect(concat).toEqual({ reference: 0x1234, total: 2, sequence: 1 });
    expect(hex(payload)).toBe('D83DDE00');
    expect(decodeUcs2(payload)).toBe(EMOJI);
  });

  it('round-trips concatUdh', () => {
    const { concat, payload } = parseUdh(Buffer.concat([concatUdh(7, 4, 4), Buffer.from([0x41])]));
    expect(concat).toEqual({ reference: 7, total: 4, sequence: 4 });
    expect([...payload]).toEqual([0x41]);
  });

  it('skips other information elements', () => {
    // port addressing (IEI 0x05, 4 octets) then concat
    const bytes = Buffer.from('0B0504C3500000' + '0003090201' + '4142', 'hex');
    const { concat, payload } = parseUdh(bytes);
    expect(concat).toEqual({ reference: 9, total: 2, sequence: 1 });
    expect(payload.toString('latin1')).toBe('AB');
  });

  it('lists every information element in order, as its octets', () => {
    const { elements } = parseUdh(Buffer.from('0B0504C3500000' + '0003090201' + '4142', 'hex'));
    expect(elements.map(hex)).toEqual(['0504C3500000', '0003090201']);
  });

  it('takes the last usable concatenation element when several occur', () => {
    // 8-bit ref 1 (part 1 of 2), 16-bit ref 0x0203 (part 2 of 2), 8-bit ref 5 (part 3 of 2: unusable)
    const bytes = Buffer.from('10' + '0003010201' + '080402030202' + '0003050203' + '41', 'hex');
    expect(parseUdh(bytes).concat).toEqual({ reference: 0x0203, total: 2, sequence: 2 });
  });

  it('reads a concatenation element only at its standard length', () => {
    expect(parseUdh(Buffer.from('06' + '000401020100' + '41', 'hex')).concat).toBeUndefined(); // IEI 0x00 with 4 octets
    expect(parseUdh(Buffer.from('05' + '0803010201' + '41', 'hex')).concat).toBeUndefined(); // IEI 0x08 with 3 octets
  });

  it('returns no concat when the UDH has none, or an invalid one', () => {
    // 16-bit port addressing only (IEI 0x05): no concat
    expect(parseUdh(Buffer.from('0605040B840B84' + '41', 'hex'))).toEqual({ elements: [Buffer.from('05040B840B84', 'hex')], payload: Buffer.from([0x41]) });
    expect(parseUdh(Buffer.from('050003010200' + '41', 'hex')).concat).toBeUndefined(); // seq 0
    expect(parseUdh(Buffer.from('050003010301' + '41', 'hex')).concat).toEqual({ reference: 1, total: 3, sequence: 1 });
    expect(parseUdh(Buffer.from('050003010203' + '41', 'hex')).concat).toBeUndefined(); // seq > total
    expect(parseUdh(Buffer.from('050003010000' + '41', 'hex')).concat).toBeUndefined(); // total 0
    expect(parseUdh(Buffer.from('00' + '4142', 'hex'))).toEqual({ elements: [], payload: Buffer.from('4142', 'hex') });
  });

  it('throws on a malformed header', () => {
    expect(() => parseUdh(new Uint8Array(0))).toThrow(RangeError);
    expect(() => parseUdh(Buffer.from('0500030102', 'hex'))).toThrow(/exceeds/); // UDHL past the end
    expect(() => parseUdh(Buffer.from('0300050102' + '41', 'hex'))).toThrow(/overruns/); // IE past UDHL
    expect(() => parseUdh(Buffer.from('0100' + '41', 'hex'))).toThrow(/truncated/);
  });

  it('reads from a Uint8Array view and returns an independent payload', () => {
    const whole = Uint8Array.from(Buffer.from('FF' + '050003AA0101' + '4849', 'hex'));
    const { concat, payload } = parseUdh(whole.subarray(1));
    expect(concat).toEqual({ reference: 0xaa, total: 1, sequence: 1 });
    payload[0] = 0;
    expect(whole[7]).toBe(0x48);
  });
});

describe('isUsableConcat', () => {
  it.each([
    [{ reference: 1, total: 2, sequence: 1 }, true],
    [{ reference: 1, total: 2, sequence: 2 }, true],
    [{ reference: 1, total: 0, sequence: 0 }, false],
    [{ reference: 1, total: 2, sequence: 0 }, false],
    [{ reference: 1, total: 2, sequence: 3 }, false],
  ])('%j is usable: %s', (info, usable) => {
    expect(isUsableConcat(info)).toBe(usable);
  });
});
