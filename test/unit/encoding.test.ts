import { describe, it, expect } from 'vitest';
import {
  PART_LIMIT,
  SINGLE_LIMIT,
  analyzeText,
  decodeGsm7,
  decodeUcs2,
  encodeGsm7,
  encodeUcs2,
  isGsm7,
  splitText,
  type Encoding,
} from '../../core/domain/encoding';

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex').toUpperCase();
const EMOJI = '😀'; // U+1F600, surrogate pair D83D DE00
const CYR = 'ж'; // non-GSM, 1 UTF-16 unit

/** Size of one part on the wire: septets (unpacked GSM octets) or UCS-2 octets. */
function wireSize(part: string, encoding: Encoding): number {
  return encoding === 'GSM7' ? encodeGsm7(part).length : encodeUcs2(part).length;
}

describe('limits', () => {
  it('has the SMPP single and part limits', () => {
    expect(SINGLE_LIMIT).toEqual({ GSM7: 160, UCS2: 70 });
    expect(PART_LIMIT).toEqual({ GSM7: 153, UCS2: 67 });
  });
});

describe('isGsm7', () => {
  it('accepts the whole basic table and the extension table', () => {
    const basic =
      '@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !"#¤%&\'()*+,-./0123456789:;<=>?' +
      '¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà';
    expect(basic.length).toBe(127); // 128 codes less ESC
    expect(isGsm7(basic)).toBe(true);
    expect(isGsm7('^{}\\[~]|€\f')).toBe(true);
    expect(isGsm7('')).toBe(true);
  });

  it.each([
    ['backtick', '`'],
    ['lowercase c cedilla', 'ç'],
    ['Greek capital alpha (Latin look-alike, not in 03.38)', '\u0391'],
    ['raw ESC control character', '\u001B'],
    ['tab', '\t'],
    ['emoji', EMOJI],
    ['curly quote', '\u2019'],
    ['non-breaking space', '\u00A0'],
  ])('rejects %s', (_name, ch) => {
    expect(isGsm7(`abc${ch}def`)).toBe(false);
  });
});

describe('encodeGsm7 / decodeGsm7', () => {
  it('encodes golden bytes', () => {
    expect(hex(encodeGsm7('@£$'))).toBe('000102');
    expect(hex(encodeGsm7('€'))).toBe('1B65');
    expect(hex(encodeGsm7('Hello'))).toBe('48656C6C6F');
    expect(hex(encodeGsm7('Δ_'))).toBe('1011');
    expect(hex(encodeGsm7('Ç\n\r ß'))).toBe('090A0D201E');
    expect(hex(encodeGsm7('¡§¿à'))).toBe('405F607F');
  });

  it.each([
    ['{', '1B28'],
    ['}', '1B29'],
    ['^', '1B14'],
    ['\\', '1B2F'],
    ['[', '1B3C'],
    ['~', '1B3D'],
    [']', '1B3E'],
    ['|', '1B40'],
    ['€', '1B65'],
    ['\f', '1B0A'],
  ])('encodes extension char %j as %s', (ch, bytes) => {
    expect(hex(encodeGsm7(ch))).toBe(bytes);
    expect(decodeGsm7(Buffer.from(bytes, 'hex'))).toBe(ch);
  });

  it('every septet except ESC decodes and re-encodes to itself', () => {
    for (let code = 0; code < 128; code++) {
      if (code === 0x1b) continue;
      const ch = decodeGsm7(Uint8Array.of(code));
      expect(ch).toHaveLength(1);
      expect([...encodeGsm7(ch)]).toEqual([code]);
    }
  });

  it('round-trips text with basic and extension characters', () => {
    const text = 'Price: 5€ {ok} [x] ~y~ a|b ^_^ C:\\path\fÆøÅ @home £$¥ ΔΦΓΛΩΠΨΣΘΞ';
    expect(decodeGsm7(encodeGsm7(text))).toBe(text);
    expect(encodeGsm7(text).length).toBe(analyzeText(text).units);
  });

  it('throws on characters outside the alphabet', () => {
    expect(() => encodeGsm7('ça')).toThrow(RangeError);
    expect(() => encodeGsm7('a`b')).toThrow(/U\+0060 at index 1/);
  });

  it('decodes leniently: unknown escape, trailing escape, non-septet octets', () => {
    expect(decodeGsm7(Uint8Array.of(0x1b, 0x41))).toBe('A'); // unknown extension -> basic char
    expect(decodeGsm7(Uint8Array.of(0x41, 0x1b))).toBe('A '); // dangling ESC -> space
    expect(decodeGsm7(Uint8Array.of(0x1b, 0x1b, 0x65))).toBe(' e');
    expect(decodeGsm7(Uint8Array.of(0x41, 0x80))).toBe('A\uFFFD');
    expect(decodeGsm7(new Uint8Array(0))).toBe('');
  });

  it('decodes from a Uint8Array view with an offset', () => {
    const whole = Uint8Array.of(0xff, 0x48, 0x69, 0xff);
    expect(decodeGsm7(whole.subarray(1, 3))).toBe('Hi');
  });
});

describe('encodeUcs2 / decodeUcs2', () => {
  it('encodes UTF-16BE golden bytes', () => {
    expect(hex(encodeUcs2(`Hi${EMOJI}`))).toBe('00480069D83DDE00');
    expect(hex(encodeUcs2('ç€'))).toBe('00E720AC');
    expect(encodeUcs2('').length).toBe(0);
  });

  it('round-trips, including surrogate pairs and a lone surrogate', () => {
    for (const text of [`Hi${EMOJI}`, 'Привет, мир! ç `quote`', `${EMOJI.repeat(3)}x`, 'a\uD83Db', '']) {
      expect(decodeUcs2(encodeUcs2(text))).toBe(text);
    }
  });

  it('decodes from a view with an odd byte offset', () => {
    const whole = Uint8Array.of(0xaa, 0x00, 0x48, 0x00, 0x69);
    expect(decodeUcs2(whole.subarray(1))).toBe('Hi');
  });

  it('decodes long input', () => {
    const text = `${CYR}${EMOJI}`.repeat(5000);
    expect(decodeUcs2(encodeUcs2(text))).toBe(text);
  });

  it('rejects an odd number of octets', () => {
    expect(() => decodeUcs2(Uint8Array.of(0x00, 0x48, 0x00))).toThrow(RangeError);
  });
});

describe('analyzeText / splitText golden vectors', () => {
  it('empty text is one empty GSM-7 message', () => {
    expect(analyzeText('')).toEqual({ encoding: 'GSM7', units: 0, segments: 1 });
    expect(splitText('')).toEqual({ encoding: 'GSM7', parts: [''] });
  });

  it.each([
    [160, 1],
    [161, 2],
    [306, 2],
    [307, 3],
    [459, 3],
    [460, 4],
  ])('GSM-7: %i plain chars -> %i segment(s)', (n, segments) => {
    const text = 'a'.repeat(n);
    expect(analyzeText(text)).toEqual({ encoding: 'GSM7', units: n, segments });
    expect(splitText(text).parts).toHaveLength(segments);
  });

  it('GSM-7: 161 chars split as 153 + 8', () => {
    const { parts } = splitText('a'.repeat(161));
    expect(parts.map((p) => p.length)).toEqual([153, 8]);
  });

  it('GSM-7: extension characters count two septets', () => {
    expect(analyzeText('€'.repeat(80))).toEqual({ encoding: 'GSM7', units: 160, segments: 1 });
    expect(analyzeText('€'.repeat(81))).toEqual({ encoding: 'GSM7', units: 162, segments: 2 });
    // 76 € = 152 septets; a 77th would make 154 > 153.
    expect(splitText('€'.repeat(81)).parts).toEqual(['€'.repeat(76), '€'.repeat(5)]);
    expect(analyzeText('a'.repeat(158) + '{')).toMatchObject({ units: 160, segments: 1 });
    expect(analyzeText('a'.repeat(159) + '{')).toMatchObject({ units: 161, segments: 2 });
  });

  it('GSM-7: an escape pair straddling the 153 boundary moves whole to the next part', () => {
    const text = 'a'.repeat(152) + '€' + 'b'.repeat(10);
    const { encoding, parts } = splitText(text);
    expect(encoding).toBe('GSM7');
    expect(parts).toEqual(['a'.repeat(152), '€' + 'b'.repeat(10)]);
    expect(encodeGsm7(parts[0] ?? '').length).toBe(152);
    expect(hex(encodeGsm7(parts[1] ?? '').subarray(0, 2))).toBe('1B65');
    // one septet earlier the pair fits exactly: 151 + 2 = 153
    const fits = splitText('a'.repeat(151) + '€' + 'b'.repeat(10)).parts;
    expect(fits[0]).toBe('a'.repeat(151) + '€');
  });

  it.each([
    [70, 1],
    [71, 2],
    [134, 2],
    [135, 3],
  ])('UCS-2: %i units -> %i segment(s)', (n, segments) => {
    const text = CYR.repeat(n);
    expect(analyzeText(text)).toEqual({ encoding: 'UCS2', units: n, segments });
    expect(splitText(text).parts).toHaveLength(segments);
  });

  it('UCS-2: emoji count two units', () => {
    expect(analyzeText(EMOJI.repeat(35))).toEqual({ encoding: 'UCS2', units: 70, segments: 1 });
    expect(analyzeText(EMOJI.repeat(36))).toEqual({ encoding: 'UCS2', units: 72, segments: 2 });
    // 33 emoji = 66 units; a 34th would make 68 > 67.
    expect(splitText(EMOJI.repeat(36)).parts).toEqual([EMOJI.repeat(33), EMOJI.repeat(3)]);
  });

  it('UCS-2: a surrogate pair straddling the 67 boundary is never split', () => {
    const text = CYR.repeat(66) + EMOJI + CYR.repeat(5);
    const { encoding, parts } = splitText(text);
    expect(encoding).toBe('UCS2');
    expect(parts).toEqual([CYR.repeat(66), EMOJI + CYR.repeat(5)]);
    expect(encodeUcs2(parts[0] ?? '').length).toBe(132);
  });

  it('one non-GSM character switches the whole text to UCS-2', () => {
    expect(analyzeText('Ça va')).toEqual({ encoding: 'GSM7', units: 5, segments: 1 });
    expect(analyzeText('ça va')).toEqual({ encoding: 'UCS2', units: 5, segments: 1 });
    const text = 'a'.repeat(100) + 'ç' + 'a'.repeat(59); // 160 chars: 1 GSM segment, 3 UCS-2 ones
    expect(analyzeText(text)).toEqual({ encoding: 'UCS2', units: 160, segments: 3 });
    expect(splitText(text).parts.map((p) => p.length)).toEqual([67, 67, 26]);
    expect(analyzeText('use `code`').encoding).toBe('UCS2');
  });

  it('an encoding can be forced', () => {
    const text = 'a'.repeat(100);
    expect(analyzeText(text, 'UCS2')).toEqual({ encoding: 'UCS2', units: 100, segments: 2 });
    expect(splitText(text, 'UCS2').parts.map((p) => p.length)).toEqual([67, 33]);
    expect(splitText(text, 'GSM7').parts).toEqual([text]);
    expect(() => splitText('ça', 'GSM7')).toThrow(RangeError);
    expect(() => analyzeText('ça', 'GSM7')).toThrow(RangeError);
  });
});

describe('splitText invariants over generated texts', () => {
  // Deterministic pseudo-random texts mixing basic, extension, BMP and astral characters.
  function lcg(seed: number): () => number {
    let s = seed >>> 0;
    return () => {
      s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
      return s / 2 ** 32;
    };
  }
  const GSM_POOL = ['a', 'Z', ' ', '@', '£', 'Δ', '\n', '€', '{', '}', '[', ']', '~', '|', '^', '\\', '\f'];
  const UCS_POOL = [...GSM_POOL, CYR, 'ç', '`', EMOJI, '🇫', '中'];

  function generate(rand: () => number, pool: string[], length: number): string {
    let text = '';
    for (let i = 0; i < length; i++) text += pool[Math.floor(rand() * pool.length)] ?? '';
    return text;
  }

  it('parts rejoin, match analyzeText, fit the limits and are greedily full', () => {
    const rand = lcg(42);
    let checked = 0;
    for (let round = 0; round < 400; round++) {
      const pool = round % 2 === 0 ? GSM_POOL : UCS_POOL;
      const text = generate(rand, pool, Math.floor(rand() * 500));
      const analysis = analyzeText(text);
      const { encoding, parts } = splitText(text);

      expect(encoding).toBe(analysis.encoding);
      expect(parts.length).toBe(analysis.segments);
      expect(parts.join('')).toBe(text);

      const sizes = parts.map((p) => wireSize(p, encoding));
      const total = sizes.reduce((a, b) => a + b, 0);
      expect(encoding === 'GSM7' ? total : total / 2).toBe(analysis.units);

      if (parts.length === 1) {
        expect(encoding === 'GSM7' ? total : total / 2).toBeLessThanOrEqual(SINGLE_LIMIT[encoding]);
        continue;
      }
      const maxOctets = encoding === 'GSM7' ? 153 : 134;
      parts.forEach((part, i) => {
        const size = sizes[i] ?? Infinity;
        expect(part.length).toBeGreaterThan(0);
        expect(size).toBeLessThanOrEqual(maxOctets);
        // never ends inside a surrogate pair
        expect(/[\uD800-\uDBFF]$/.test(part)).toBe(false);
        expect(/^[\uDC00-\uDFFF]/.test(part)).toBe(false);
        // greedy: every part but the last is full to within one indivisible token (<= 2 units)
        if (i < parts.length - 1) expect(size).toBeGreaterThanOrEqual(maxOctets - (encoding === 'GSM7' ? 1 : 2));
      });
      checked++;
    }
    expect(checked).toBeGreaterThan(100);
  });
});
