/**
 * Delivery receipts (pure: no I/O). A receipt is a deliver_sm whose esm_class has the
 * SMSC-delivery-receipt bits (0x04); its outcome is carried in the receipted_message_id
 * and message_state TLVs when the SMSC sends them, and in the de facto text format of
 * SMPP 3.4 Appendix B otherwise:
 *
 *   id:IIIIIIIIII sub:SSS dlvrd:DDD submit date:YYMMDDhhmm done date:YYMMDDhhmm stat:DDDDDDD err:E text:...
 *
 * Carriers vary the text: keys in any case, `sub`/`dlvrd` missing, seconds in the dates,
 * ids padded with zeros, several spaces between fields. The parser accepts all of these;
 * anything it cannot read becomes a {@link ReceiptParseError} value, never an exception,
 * because the deliver_sm must be answered whatever it contains.
 */

export type ReceiptState =
  | 'DELIVERED'
  | 'EXPIRED'
  | 'DELETED'
  | 'UNDELIVERABLE'
  | 'ACCEPTED'
  | 'UNKNOWN'
  | 'REJECTED'
  | 'ENROUTE';

export interface Receipt {
  /** The SMSC's message id as the receipt carries it (trimmed, otherwise unchanged); correlate with {@link normaliseSmscId}. */
  smscId: string;
  state: ReceiptState;
  /** The SMSC will send nothing more for this message: every state but ENROUTE and ACCEPTED. */
  final: boolean;
  /** The `err:` field as sent (e.g. "000"); its meaning is carrier-specific. */
  errorCode?: string;
  /** `submit date:`, read as UTC (the format has no zone; most SMSCs run on UTC). */
  submitDate?: Date;
  /** `done date:`, read as UTC. */
  doneDate?: Date;
  /** `sub:` — parts submitted (usually 1). */
  submitted?: number;
  /** `dlvrd:` — parts delivered. */
  delivered?: number;
}

/** A receipt that cannot be read. `reason` names the problem; the text itself is not kept (it may hold message text). */
export class ReceiptParseError extends Error {
  constructor(readonly reason: string) {
    super(`unreadable delivery receipt: ${reason}`);
    this.name = 'ReceiptParseError';
  }
}

export function isReceiptParseError(value: Receipt | ReceiptParseError): value is ReceiptParseError {
  return value instanceof ReceiptParseError;
}

const NOT_FINAL: ReadonlySet<ReceiptState> = new Set<ReceiptState>(['ENROUTE', 'ACCEPTED']);

export function isFinalState(state: ReceiptState): boolean {
  return !NOT_FINAL.has(state);
}

// The `stat:` abbreviations of Appendix B, plus the full words some SMSCs write.
const STAT_WORDS: ReadonlyMap<string, ReceiptState> = new Map<string, ReceiptState>([
  ['DELIVRD', 'DELIVERED'],
  ['DELIVERED', 'DELIVERED'],
  ['EXPIRED', 'EXPIRED'],
  ['DELETED', 'DELETED'],
  ['UNDELIV', 'UNDELIVERABLE'],
  ['UNDELIVERABLE', 'UNDELIVERABLE'],
  ['ACCEPTD', 'ACCEPTED'],
  ['ACCEPTED', 'ACCEPTED'],
  ['UNKNOWN', 'UNKNOWN'],
  ['REJECTD', 'REJECTED'],
  ['REJECTED', 'REJECTED'],
  ['ENROUTE', 'ENROUTE'],
]);

/** message_state TLV values, SMPP 3.4 §5.2.28. 0 (SCHEDULED, 5.0) and 9 (SKIPPED, 5.0) are not receipt outcomes. */
const MESSAGE_STATES: ReadonlyMap<number, ReceiptState> = new Map<number, ReceiptState>([
  [1, 'ENROUTE'],
  [2, 'DELIVERED'],
  [3, 'EXPIRED'],
  [4, 'DELETED'],
  [5, 'UNDELIVERABLE'],
  [6, 'ACCEPTED'],
  [7, 'UNKNOWN'],
  [8, 'REJECTED'],
]);

/** The receipt state for a message_state TLV value, or undefined outside 1..8. */
export function stateFromMessageState(messageState: number): ReceiptState | undefined {
  return MESSAGE_STATES.get(messageState);
}

/** The message_state TLV value for a receipt state (the inverse of {@link stateFromMessageState}). */
export function messageStateOf(state: ReceiptState): number {
  for (const [value, s] of MESSAGE_STATES) if (s === state) return value;
  return 7;
}

type FieldKey = 'id' | 'sub' | 'dlvrd' | 'submitDate' | 'doneDate' | 'stat' | 'err' | 'text';

// A key starts the text or follows whitespace, so "id" inside another word is not a key.
const KEY_PATTERN = /(?:^|\s)(id|sub|dlvrd|submit[ _]*date|done[ _]*date|stat|err|text)[ \t]*:/gi;

const FIELD_KEYS: ReadonlyMap<string, FieldKey> = new Map<string, FieldKey>([
  ['id', 'id'],
  ['sub', 'sub'],
  ['dlvrd', 'dlvrd'],
  ['submitdate', 'submitDate'],
  ['donedate', 'doneDate'],
  ['stat', 'stat'],
  ['err', 'err'],
  ['text', 'text'],
]);

/** The raw value of every key present (first occurrence wins). `text:` takes the rest of the input. */
function scanFields(text: string): Partial<Record<FieldKey, string>> {
  const found: Array<{ key: FieldKey; start: number; valueStart: number }> = [];
  for (const m of text.matchAll(KEY_PATTERN)) {
    const key = FIELD_KEYS.get((m[1] ?? '').toLowerCase().replace(/[ _]/g, ''));
    if (key === undefined || m.index === undefined) continue;
    found.push({ key, start: m.index, valueStart: m.index + m[0].length });
    if (key === 'text') break;
  }
  const fields: Partial<Record<FieldKey, string>> = {};
  found.forEach((f, i) => {
    const end = f.key === 'text' ? text.length : (found[i + 1]?.start ?? text.length);
    if (fields[f.key] === undefined) fields[f.key] = text.slice(f.valueStart, end);
  });
  return fields;
}

// An SMSC message id is a C-Octet String of at most 65 octets; in receipts it never holds spaces.
const ID_PATTERN = /^[\x21-\x7e]{1,65}$/;

function readCount(value: string | undefined): number | undefined {
  const v = value?.trim();
  return v !== undefined && /^[0-9]{1,6}$/.test(v) ? Number.parseInt(v, 10) : undefined;
}

/** YYMMDDhhmm or YYMMDDhhmmss as UTC; undefined when absent or not a real date. */
function readDate(value: string | undefined): Date | undefined {
  const m = /^(\d\d)(\d\d)(\d\d)(\d\d)(\d\d)(\d\d)?$/.exec(value?.trim() ?? '');
  if (!m) return undefined;
  const [yy, mo, dd, hh, mi, ss] = m.slice(1).map((d) => (d === undefined ? 0 : Number.parseInt(d, 10)));
  if (yy === undefined || mo === undefined || dd === undefined || hh === undefined || mi === undefined || ss === undefined) {
    return undefined;
  }
  const date = new Date(Date.UTC(2000 + yy, mo - 1, dd, hh, mi, ss));
  // Date.UTC rolls over (month 13, day 32, hour 25); a rolled-over date is a malformed one.
  const valid =
    date.getUTCMonth() === mo - 1 && date.getUTCDate() === dd && date.getUTCHours() === hh && date.getUTCMinutes() === mi && ss < 60;
  return valid ? date : undefined;
}

function readStat(value: string | undefined): ReceiptState | undefined {
  const v = value?.trim().toUpperCase();
  return v === undefined ? undefined : STAT_WORDS.get(v);
}

function readErr(value: string | undefined): string | undefined {
  const v = value?.trim();
  return v === undefined || v === '' ? undefined : v;
}

interface TextFields {
  id?: string;
  idProblem?: string;
  state?: ReceiptState;
  statProblem?: string;
  rest: Omit<Receipt, 'smscId' | 'state' | 'final'>;
}

function readTextFields(text: string): TextFields {
  const raw = scanFields(text);
  const out: TextFields = { rest: {} };

  const id = raw.id?.trim();
  if (id === undefined || id === '') out.idProblem = 'missing id';
  else if (!ID_PATTERN.test(id)) out.idProblem = 'id is not a message id (spaces, control characters or over 65 characters)';
  else out.id = id;

  const stat = raw.stat?.trim();
  if (stat === undefined || stat === '') out.statProblem = 'missing stat';
  else {
    const state = readStat(stat);
    if (state === undefined) out.statProblem = `unrecognised stat "${stat.slice(0, 16)}"`;
    else out.state = state;
  }

  const rest: TextFields['rest'] = {};
  const errorCode = readErr(raw.err);
  if (errorCode !== undefined) rest.errorCode = errorCode;
  const submitDate = readDate(raw.submitDate);
  if (submitDate !== undefined) rest.submitDate = submitDate;
  const doneDate = readDate(raw.doneDate);
  if (doneDate !== undefined) rest.doneDate = doneDate;
  const submitted = readCount(raw.sub);
  if (submitted !== undefined) rest.submitted = submitted;
  const delivered = readCount(raw.dlvrd);
  if (delivered !== undefined) rest.delivered = delivered;
  out.rest = rest;
  return out;
}

function build(smscId: string, state: ReceiptState, rest: TextFields['rest']): Receipt {
  return { smscId, state, final: isFinalState(state), ...rest };
}

/**
 * Reads the receipt text format. Returns a {@link ReceiptParseError} (never throws) when the
 * text has no usable `id:` or `stat:`; unreadable optional fields (dates, counts) are left out.
 *
 * @example
 * parseReceiptText('id:0123 sub:001 dlvrd:001 submit date:2401021504 done date:2401021505 stat:DELIVRD err:000 text:Hi')
 * // { smscId: '0123', state: 'DELIVERED', final: true, errorCode: '000', submitted: 1, delivered: 1, submitDate, doneDate }
 */
export function parseReceiptText(text: string): Receipt | ReceiptParseError {
  if (typeof text !== 'string') return new ReceiptParseError('not text');
  if (text.trim() === '') return new ReceiptParseError('empty');
  const fields = readTextFields(text);
  if (fields.id === undefined) return new ReceiptParseError(fields.idProblem ?? 'missing id');
  if (fields.state === undefined) return new ReceiptParseError(fields.statProblem ?? 'missing stat');
  return build(fields.id, fields.state, fields.rest);
}

/**
 * A receipt from a deliver_sm: the receipted_message_id and message_state TLVs win when
 * present and valid; the text fills whatever they leave out (and the dates, counts and
 * error code, which only the text carries). Returns a {@link ReceiptParseError} (never
 * throws) when neither gives an id and a state.
 *
 * @example
 * receiptFromTlvs('1A2B', 2, 'id:6699 sub:001 dlvrd:001 submit date:2401021504 done date:2401021505 stat:DELIVRD err:000 text:')
 * // smscId '1A2B' (the TLV), state 'DELIVERED', errorCode '000', dates from the text
 */
export function receiptFromTlvs(
  receiptedMessageId?: string,
  messageState?: number,
  text?: string,
): Receipt | ReceiptParseError {
  const fields: TextFields = typeof text === 'string' && text.trim() !== '' ? readTextFields(text) : { rest: {} };

  const tlvId = typeof receiptedMessageId === 'string' ? receiptedMessageId.trim() : '';
  const smscId = tlvId !== '' && ID_PATTERN.test(tlvId) ? tlvId : fields.id;
  const tlvState = typeof messageState === 'number' ? stateFromMessageState(messageState) : undefined;
  const state = tlvState ?? fields.state;

  if (smscId === undefined) return new ReceiptParseError(tlvId === '' ? fields.idProblem ?? 'missing id' : 'receipted_message_id is not a message id');
  if (state === undefined) {
    const tlvNote = messageState === undefined ? '' : `message_state ${String(messageState)} is not 1-8; `;
    return new ReceiptParseError(`${tlvNote}${fields.statProblem ?? 'missing stat'}`);
  }
  return build(smscId, state, fields.rest);
}

/** How a carrier writes message ids: see {@link normaliseSmscId}. Matches the carrier setting `receiptIdFormat`. */
export type ReceiptIdFormat = 'as-is' | 'hex' | 'decimal';

function asIs(id: string): string {
  const lower = id.trim().toLowerCase();
  const stripped = lower.replace(/^0+/, '');
  return stripped === '' && lower !== '' ? '0' : stripped;
}

const DECIMAL = /^[0-9]+$/;
const HEX = /^[0-9a-f]+$/i;

/**
 * Normalise an SMSC message id to the canonical key used for correlation. submit_sm_resp
 * ids and receipt ids must map to the same key: store the key of the response id, look up
 * the key of the receipt id.
 *
 * - `as-is`: both sides carry the same id, perhaps in another case or zero-padded:
 *   trimmed, lower-cased, leading zeros stripped ("0" stays "0").
 * - `hex`: submit_sm_resp carries hex, the receipt the same number in decimal (the common
 *   mismatch). The key is the decimal number: a response id is read as hex, a receipt id
 *   as decimal.
 * - `decimal`: the reverse — response decimal, receipt hex. The key is again the decimal number.
 *
 * Ids that are not numbers in the expected base fall back to `as-is`.
 *
 * @example
 * normaliseSmscId('1A2B', 'hex', 'response')      // '6699'
 * normaliseSmscId('0000006699', 'hex', 'receipt') // '6699'
 */
export function normaliseSmscId(id: string, format: ReceiptIdFormat, source: 'response' | 'receipt'): string {
  const v = id.trim();
  if (format === 'as-is' || v === '') return asIs(v);
  const hexSide = (format === 'hex') === (source === 'response');
  if (hexSide) return HEX.test(v) ? BigInt(`0x${v}`).toString(10) : asIs(v);
  return DECIMAL.test(v) ? BigInt(v).toString(10) : asIs(v);
}
