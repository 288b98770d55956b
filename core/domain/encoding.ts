/**
 * SMS text encoding for SMPP submit_sm / deliver_sm (pure: no I/O, only Buffer).
 *
 * - GSM 03.38 (3GPP TS 23.038) default alphabet, carried *unpacked* (one septet per
 *   octet) as SMPP data_coding 0; extension-table characters are ESC (0x1B) + code and
 *   cost two septets.
 * - UCS-2 as UTF-16BE (data_coding 8); characters outside the BMP are surrogate pairs
 *   and cost two units.
 * - Splitting for concatenated SMS with a 6-octet UDH (IEI 0x00, built in udh.ts): a single
 *   message holds 160 septets / 70 units, each part of a longer text 153 septets / 67 units.
 *   A part never ends between an escape and its extension character, nor inside a surrogate
 *   pair.
 *
 * No npm library was used: the candidates either pack septets (SMPP wants them unpacked),
 * count by grapheme (different split points), or ship no byte encoding. The table is a
 * fixed standard table.
 */
import { Buffer } from 'node:buffer';

export type Encoding = 'GSM7' | 'UCS2';

export interface TextAnalysis {
  encoding: Encoding;
  /** GSM-7: septets (extension-table chars count 2); UCS2: UTF-16 code units */
  units: number;
  /** number of SMS segments the text needs (1 when it fits a single message) */
  segments: number;
}

export interface SplitText {
  encoding: Encoding;
  /** text of each segment; an empty text is one empty message: [''] */
  parts: string[];
}

/** Units that fit one message without a UDH. */
export const SINGLE_LIMIT: Record<Encoding, number> = { GSM7: 160, UCS2: 70 };
/** Units per part of a concatenated message (140 octets less the 6-octet UDH). */
export const PART_LIMIT: Record<Encoding, number> = { GSM7: 153, UCS2: 67 };

const ESC = 0x1b;

// GSM 03.38 default alphabet, indexed by septet value 0x00-0x7F. Greek capitals are
// written as escapes so they cannot be confused with Latin look-alikes. Slot 0x1B is the
// escape to the extension table: a placeholder that is never mapped from text.
const BASIC_TABLE =
  '@£$¥èéùìòÇ\nØø\rÅå' + // 0x00-0x0F
  '\u0394_\u03A6\u0393\u039B\u03A9\u03A0\u03A8\u03A3\u0398\u039E\u001BÆæßÉ' + // 0x10-0x1F: Δ_ΦΓΛΩΠΨΣΘΞ ESC ÆæßÉ
  ' !"#¤%&\'()*+,-./' + // 0x20-0x2F
  '0123456789:;<=>?' + // 0x30-0x3F
  '¡ABCDEFGHIJKLMNO' + // 0x40-0x4F
  'PQRSTUVWXYZÄÖÑÜ§' + // 0x50-0x5F
  '¿abcdefghijklmno' + // 0x60-0x6F
  'pqrstuvwxyzäöñüà'; // 0x70-0x7F

// Extension table (ESC + code). 0x0A is FORM FEED.
const EXTENSION_TABLE: ReadonlyArray<readonly [string, number]> = [
  ['\f', 0x0a], ['^', 0x14], ['{', 0x28], ['}', 0x29], ['\\', 0x2f],
  ['[', 0x3c], ['~', 0x3d], [']', 0x3e], ['|', 0x40], ['€', 0x65],
];

const BASIC_ENCODE = new Map<string, number>();
for (let code = 0; code < BASIC_TABLE.length; code++) {
  if (code !== ESC) BASIC_ENCODE.set(BASIC_TABLE.charAt(code), code);
}
const EXT_ENCODE = new Map<string, number>(EXTENSION_TABLE);
const EXT_DECODE = new Map<number, string>(EXTENSION_TABLE.map(([ch, code]) => [code, ch]));

/** Septets a UTF-16 code unit costs in GSM-7: 1 basic, 2 extension, 0 not encodable. */
function gsmCost(ch: string): 0 | 1 | 2 {
  if (BASIC_ENCODE.has(ch)) return 1;
  if (EXT_ENCODE.has(ch)) return 2;
  return 0;
}

function isHighSurrogate(unit: number): boolean {
  return unit >= 0xd800 && unit <= 0xdbff;
}
function isLowSurrogate(unit: number): boolean {
  return unit >= 0xdc00 && unit <= 0xdfff;
}

/** Every character is in the GSM 03.38 default alphabet or its extension table. */
export function isGsm7(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    if (gsmCost(text.charAt(i)) === 0) return false;
  }
  return true;
}

function detectEncoding(text: string): Encoding {
  return isGsm7(text) ? 'GSM7' : 'UCS2';
}

function notGsm(text: string, i: number): RangeError {
  const unit = text.charCodeAt(i).toString(16).toUpperCase().padStart(4, '0');
  return new RangeError(`character U+${unit} at index ${i} is not in the GSM 03.38 alphabet`);
}

/**
 * The indivisible token starting at text[i]: its length in code units and its cost in
 * units of `encoding`. GSM-7: one code unit costing 1 or 2 septets (an escape pair is one
 * token). UCS2: a surrogate pair is one token of 2 units, anything else 1.
 */
function tokenAt(text: string, i: number, encoding: Encoding): { len: number; cost: number } {
  if (encoding === 'GSM7') {
    const cost = gsmCost(text.charAt(i));
    if (cost === 0) throw notGsm(text, i);
    return { len: 1, cost };
  }
  const pair =
    i + 1 < text.length && isHighSurrogate(text.charCodeAt(i)) && isLowSurrogate(text.charCodeAt(i + 1));
  return pair ? { len: 2, cost: 2 } : { len: 1, cost: 1 };
}

/** Shared by analyzeText and splitText: total units and the end index of each segment. */
function plan(text: string, encoding: Encoding): { units: number; ends: number[] } {
  let units = 0;
  for (let i = 0; i < text.length; ) {
    const t = tokenAt(text, i, encoding);
    units += t.cost;
    i += t.len;
  }
  if (units <= SINGLE_LIMIT[encoding]) return { units, ends: [text.length] };

  const limit = PART_LIMIT[encoding];
  const ends: number[] = [];
  let used = 0;
  for (let i = 0; i < text.length; ) {
    const t = tokenAt(text, i, encoding);
    if (used + t.cost > limit) {
      ends.push(i);
      used = 0;
    }
    used += t.cost;
    i += t.len;
  }
  ends.push(text.length);
  return { units, ends };
}

/**
 * Encoding (GSM7 when every character is GSM, else UCS2), units and segment count.
 * `encoding` forces one; forcing GSM7 on non-GSM text throws a RangeError.
 */
export function analyzeText(text: string, encoding: Encoding = detectEncoding(text)): TextAnalysis {
  const { units, ends } = plan(text, encoding);
  return { encoding, units, segments: ends.length };
}

/**
 * Splits for concatenated SMS: single message if GSM7 <=160 septets / UCS2 <=70 units;
 * otherwise parts of at most 153 septets (GSM7) / 67 UTF-16 units (UCS2), filled greedily.
 * Never splits between an escape (0x1B) and its extension character, never inside a
 * UTF-16 surrogate pair (a part may then hold 152 septets / 66 units).
 * `encoding` forces one; forcing GSM7 on non-GSM text throws a RangeError.
 */
export function splitText(text: string, encoding: Encoding = detectEncoding(text)): SplitText {
  const { ends } = plan(text, encoding);
  const parts: string[] = [];
  let start = 0;
  for (const end of ends) {
    parts.push(text.slice(start, end));
    start = end;
  }
  return { encoding, parts };
}

/**
 * GSM 03.38 unpacked: one septet value per byte, extension characters as 0x1B + code
 * (what SMPP data_coding 0 carries). Throws a RangeError on a character outside the alphabet.
 */
export function encodeGsm7(text: string): Buffer {
  const out: number[] = [];
  for (let i = 0; i < text.length; i++) {
    const ch = text.charAt(i);
    const basic = BASIC_ENCODE.get(ch);
    if (basic !== undefined) {
      out.push(basic);
      continue;
    }
    const ext = EXT_ENCODE.get(ch);
    if (ext === undefined) throw notGsm(text, i);
    out.push(ESC, ext);
  }
  return Buffer.from(out);
}

/**
 * Decodes unpacked GSM 03.38 septets. Lenient, as for inbound text: per 23.038, ESC followed
 * by a code missing from the extension table yields the basic-table character; a trailing
 * ESC and the reserved pair ESC ESC each yield one space; octets above 0x7F (not septets)
 * yield U+FFFD.
 */
export function decodeGsm7(bytes: Uint8Array): string {
  let text = '';
  for (let i = 0; i < bytes.length; i++) {
    const code = bytes[i] ?? 0;
    if (code > 0x7f) {
      text += '\uFFFD';
    } else if (code !== ESC) {
      text += BASIC_TABLE.charAt(code);
    } else {
      const next = bytes[i + 1];
      if (next === undefined) {
        text += ' ';
      } else {
        i++;
        if (next === ESC) text += ' '; // 0x1B1B: reserved for a further table, shown as a space
        else text += EXT_DECODE.get(next) ?? (next > 0x7f ? '\uFFFD' : BASIC_TABLE.charAt(next));
      }
    }
  }
  return text;
}

/** UTF-16BE, code unit by code unit (surrogate pairs kept as two units). */
export function encodeUcs2(text: string): Buffer {
  const out = Buffer.alloc(text.length * 2);
  for (let i = 0; i < text.length; i++) out.writeUInt16BE(text.charCodeAt(i), i * 2);
  return out;
}

/** UTF-16BE to string. Throws a RangeError on an odd number of octets. */
export function decodeUcs2(bytes: Uint8Array): string {
  if (bytes.length % 2 !== 0) {
    throw new RangeError(`UCS-2 data has an odd number of octets (${bytes.length})`);
  }
  const view = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const units: number[] = [];
  for (let i = 0; i < view.length; i += 2) units.push(view.readUInt16BE(i));
  let text = '';
  for (let i = 0; i < units.length; i += 4096) text += String.fromCharCode(...units.slice(i, i + 4096));
  return text;
}
