import { describe, expect, it } from 'vitest';
import {
  ReceiptParseError,
  isReceiptParseError,
  messageStateOf,
  normaliseSmscId,
  parseReceiptText,
  receiptFromTlvs,
  stateFromMessageState,
  type Receipt,
  type ReceiptIdFormat,
  type ReceiptState,
} from '../../core/domain/receipt';

const utc = (y: number, mo: number, d: number, h: number, mi: number, s = 0): Date => new Date(Date.UTC(y, mo - 1, d, h, mi, s));

function parsed(text: string): Receipt {
  const result = parseReceiptText(text);
  if (isReceiptParseError(result)) throw new Error(`expected a receipt, got: ${result.reason}`);
  return result;
}

describe('parseReceiptText — golden vectors', () => {
  it('reads the Appendix B format', () => {
    // Prepare
    const text =
      'id:0123456789 sub:001 dlvrd:001 submit date:2401021504 done date:2401021505 stat:DELIVRD err:000 text:Hello world';
    // Act
    const receipt = parsed(text);
    // Assess
    expect(receipt).toEqual({
      smscId: '0123456789',
      state: 'DELIVERED',
      final: true,
      errorCode: '000',
      submitted: 1,
      delivered: 1,
      submitDate: utc(2024, 1, 2, 15, 4),
      doneDate: utc(2024, 1, 2, 15, 5),
    });
  });

  it('reads receipts without sub and dlvrd', () => {
    expect(parsed('id:77 submit date:2401021504 done date:2401021505 stat:UNDELIV err:001')).toEqual({
      smscId: '77',
      state: 'UNDELIVERABLE',
      final: true,
      errorCode: '001',
      submitDate: utc(2024, 1, 2, 15, 4),
      doneDate: utc(2024, 1, 2, 15, 5),
    });
  });

  it('reads upper- and mixed-case keys and a lower-case stat', () => {
    const receipt = parsed('Id:ABC123 SUB:001 DLVRD:000 SUBMIT DATE:2401021504 Done Date:2401021505 STAT:expired ERR:0 TEXT:x');
    expect(receipt).toMatchObject({ smscId: 'ABC123', state: 'EXPIRED', final: true, errorCode: '0', submitted: 1, delivered: 0 });
  });

  it('reads dates with seconds', () => {
    const receipt = parsed('id:1 sub:001 dlvrd:001 submit date:240102150405 done date:240102150559 stat:DELIVRD err:000 text:');
    expect(receipt.submitDate).toEqual(utc(2024, 1, 2, 15, 4, 5));
    expect(receipt.doneDate).toEqual(utc(2024, 1, 2, 15, 5, 59));
  });

  it('keeps zero-padded ids as sent (normaliseSmscId strips the padding)', () => {
    expect(parsed('id:0000001234 stat:DELIVRD').smscId).toBe('0000001234');
  });

  it('tolerates extra spaces, tabs and a space after the colon', () => {
    const receipt = parsed('  id: 42   sub:001  dlvrd:001 submit  date:2401021504  done date:2401021505   stat: DELIVRD\terr:000   text:  ');
    expect(receipt).toMatchObject({ smscId: '42', state: 'DELIVERED', submitted: 1, errorCode: '000' });
    expect(receipt.submitDate).toEqual(utc(2024, 1, 2, 15, 4));
  });

  it('reads underscored date keys (submit_date, done_date)', () => {
    const receipt = parsed('id:5 submit_date:2401021504 done_date:2401021505 stat:DELIVRD');
    expect(receipt.doneDate).toEqual(utc(2024, 1, 2, 15, 5));
  });

  const stats: Array<[string, ReceiptState, boolean]> = [
    ['DELIVRD', 'DELIVERED', true],
    ['EXPIRED', 'EXPIRED', true],
    ['DELETED', 'DELETED', true],
    ['UNDELIV', 'UNDELIVERABLE', true],
    ['ACCEPTD', 'ACCEPTED', false],
    ['UNKNOWN', 'UNKNOWN', true],
    ['REJECTD', 'REJECTED', true],
    ['ENROUTE', 'ENROUTE', false],
    ['DELIVERED', 'DELIVERED', true],
    ['UNDELIVERABLE', 'UNDELIVERABLE', true],
    ['ACCEPTED', 'ACCEPTED', false],
    ['REJECTED', 'REJECTED', true],
  ];
  it.each(stats)('stat:%s → %s (final=%s)', (stat, state, final) => {
    expect(parsed(`id:9 sub:001 dlvrd:001 submit date:2401021504 done date:2401021505 stat:${stat} err:000 text:`)).toMatchObject({
      state,
      final,
    });
  });

  it('does not read keys inside the text field', () => {
    const receipt = parsed('id:1 stat:DELIVRD err:000 text:id:999 stat:UNDELIV err:5');
    expect(receipt).toMatchObject({ smscId: '1', state: 'DELIVERED', errorCode: '000' });
  });

  it('does not take "id" inside another word for the id key', () => {
    expect(parsed('msgid:5 id:6 stat:DELIVRD').smscId).toBe('6');
  });

  it('leaves out unreadable optional fields instead of failing', () => {
    const receipt = parsed('id:1 sub:abc dlvrd: submit date:2413401599 done date:24010215 stat:DELIVRD err:');
    expect(receipt).toEqual({ smscId: '1', state: 'DELIVERED', final: true });
  });
});

describe('parseReceiptText — malformed input is a ReceiptParseError, never a throw', () => {
  const malformed: Array<[string, string, RegExp]> = [
    ['empty', '', /empty/],
    ['blank', '   \t ', /empty/],
    ['garbage', '\u0000\u00ff%%%&&&', /missing id/],
    ['binary-looking', Buffer.from([0x05, 0x00, 0x03, 0x01, 0x02, 0x01]).toString('latin1'), /missing id/],
    ['missing id', 'sub:001 dlvrd:001 submit date:2401021504 done date:2401021505 stat:DELIVRD err:000 text:', /missing id/],
    ['empty id', 'id: sub:001 stat:DELIVRD', /missing id/],
    ['missing stat', 'id:123 sub:001 dlvrd:001 err:000', /missing stat/],
    ['unknown stat', 'id:123 stat:FOOBAR err:000', /unrecognised stat "FOOBAR"/],
    ['only keys', 'id:stat:', /missing stat/],
    ['mobile-originated text', 'Hello, see you at 5', /missing id/],
  ];

  it.each(malformed)('%s', (_name, text, reason) => {
    // Act
    let result: Receipt | ReceiptParseError | undefined;
    expect(() => {
      result = parseReceiptText(text);
    }).not.toThrow();
    // Assess
    expect(result).toBeInstanceOf(ReceiptParseError);
    expect(result instanceof ReceiptParseError && result.reason).toMatch(reason);
  });

  it('returns an error for a non-string at run time (untyped callers)', () => {
    const notText: unknown = undefined;
    expect(parseReceiptText(notText as string)).toBeInstanceOf(ReceiptParseError);
  });

  it('does not keep the message text in the error', () => {
    const result = parseReceiptText('stat:DELIVRD text:my secret code is 1234');
    expect(result).toBeInstanceOf(ReceiptParseError);
    expect(String(result)).not.toContain('1234');
  });
});

describe('receiptFromTlvs', () => {
  const text = 'id:0000006699 sub:001 dlvrd:001 submit date:2401021504 done date:2401021505 stat:DELIVRD err:000 text:';

  it('prefers the TLVs and takes the rest from the text', () => {
    expect(receiptFromTlvs('1A2B', 5, text)).toEqual({
      smscId: '1A2B',
      state: 'UNDELIVERABLE',
      final: true,
      errorCode: '000',
      submitted: 1,
      delivered: 1,
      submitDate: utc(2024, 1, 2, 15, 4),
      doneDate: utc(2024, 1, 2, 15, 5),
    });
  });

  it('works from TLVs alone', () => {
    expect(receiptFromTlvs('abc', 2)).toEqual({ smscId: 'abc', state: 'DELIVERED', final: true });
    expect(receiptFromTlvs(' abc ', 6, 'not a receipt')).toEqual({ smscId: 'abc', state: 'ACCEPTED', final: false });
  });

  it('falls back to the text for a missing, empty or invalid TLV', () => {
    expect(receiptFromTlvs(undefined, undefined, text)).toMatchObject({ smscId: '0000006699', state: 'DELIVERED' });
    expect(receiptFromTlvs('', 0, text)).toMatchObject({ smscId: '0000006699', state: 'DELIVERED' });
    expect(receiptFromTlvs('x', 9, text)).toMatchObject({ smscId: 'x', state: 'DELIVERED' });
    expect(receiptFromTlvs('1', undefined, 'stat:EXPIRED')).toMatchObject({ smscId: '1', state: 'EXPIRED' });
  });

  it('takes the state from the TLV when the text has no id', () => {
    expect(receiptFromTlvs(undefined, 2, 'id: stat:DELIVRD')).toBeInstanceOf(ReceiptParseError);
    expect(receiptFromTlvs('77', 8, 'garbage')).toEqual({ smscId: '77', state: 'REJECTED', final: true });
  });

  it('returns a ReceiptParseError when nothing gives an id and a state', () => {
    expect(receiptFromTlvs()).toBeInstanceOf(ReceiptParseError);
    expect(receiptFromTlvs('1')).toBeInstanceOf(ReceiptParseError);
    const badState = receiptFromTlvs('1', 42, '');
    expect(badState instanceof ReceiptParseError && badState.reason).toMatch(/message_state 42 is not 1-8/);
    expect(receiptFromTlvs('has space', 2)).toBeInstanceOf(ReceiptParseError);
  });

  it('maps every message_state value 1..8 both ways', () => {
    const expected: ReceiptState[] = ['ENROUTE', 'DELIVERED', 'EXPIRED', 'DELETED', 'UNDELIVERABLE', 'ACCEPTED', 'UNKNOWN', 'REJECTED'];
    expected.forEach((state, i) => {
      expect(stateFromMessageState(i + 1)).toBe(state);
      expect(messageStateOf(state)).toBe(i + 1);
    });
    expect(stateFromMessageState(0)).toBeUndefined();
    expect(stateFromMessageState(9)).toBeUndefined();
  });
});

describe('normaliseSmscId', () => {
  // [format, source, input, key]
  const golden: Array<[ReceiptIdFormat, 'response' | 'receipt', string, string]> = [
    ['as-is', 'response', 'ABC123', 'abc123'],
    ['as-is', 'receipt', '  abc123 ', 'abc123'],
    ['as-is', 'receipt', '0000123', '123'],
    ['as-is', 'response', '000', '0'],
    ['as-is', 'response', '0', '0'],
    ['as-is', 'response', '', ''],
    ['as-is', 'response', 'a-b_c', 'a-b_c'],
    ['hex', 'response', '1A2B', '6699'],
    ['hex', 'response', '001a2b', '6699'],
    ['hex', 'receipt', '6699', '6699'],
    ['hex', 'receipt', '0000006699', '6699'],
    ['hex', 'response', 'FFFFFFFFFFFFFFFFFFFF', '1208925819614629174706175'],
    ['hex', 'receipt', '1208925819614629174706175', '1208925819614629174706175'],
    ['hex', 'response', 'not-hex', 'not-hex'],
    ['hex', 'receipt', 'ABC', 'abc'],
    ['decimal', 'response', '6699', '6699'],
    ['decimal', 'response', '0006699', '6699'],
    ['decimal', 'receipt', '1A2B', '6699'],
    ['decimal', 'receipt', '00001a2b', '6699'],
    ['decimal', 'response', 'X-1', 'x-1'],
    ['decimal', 'receipt', 'zz', 'zz'],
  ];

  it.each(golden)('%s %s "%s" → "%s"', (format, source, input, key) => {
    expect(normaliseSmscId(input, format, source)).toBe(key);
  });

  it('maps a response id and its receipt id to the same key in every mode', () => {
    const pairs: Array<[ReceiptIdFormat, string, string]> = [
      ['as-is', '0A1b', 'a1B'],
      ['hex', 'F4240', '1000000'],
      ['hex', '000F4240', '0001000000'],
      ['decimal', '1000000', 'f4240'],
    ];
    for (const [format, response, receipt] of pairs) {
      expect(normaliseSmscId(response, format, 'response')).toBe(normaliseSmscId(receipt, format, 'receipt'));
    }
  });
});
