/**
 * SMPP command_status values, classified once for the whole gateway (pure: no I/O).
 *
 * `kind` says what the worker does with a submit_sm answered with that status:
 * - `ok`: accepted.
 * - `throttled`: the SMSC asks us to slow down; retry the message later and lower the
 *   send rate of the bind (ESME_RTHROTTLED, and ESME_RMSGQFUL: a full queue is the
 *   SMSC's way of saying the same thing).
 * - `transient`: retry the message with backoff, bounded by the carrier's maxAttempts.
 * - `permanent`: fail the message with the reason; sending it again cannot help.
 * - `bind`: a fault of the session or of the account configuration, not of the message.
 *   ESME_RBINDFAIL / RINVPASWD / RINVSYSID on a bind response are configuration faults:
 *   alarm and back off, never rebind in a tight loop (a reconnect storm can get the
 *   account blocked). ESME_RINVBNDSTS / RALYBND on a submit_sm mean our session state is
 *   wrong: the message itself is fine and is retried on a healthy bind.
 *
 * `retryable` is whether the same request can succeed later without a configuration
 * change. Carriers document their own meanings for some codes, so a carrier can
 * reclassify any code with `overrides` (see {@link classifyCommandStatus}).
 *
 * Note on 0x64-0x66: the SMPP 3.4 specification (§5.1.3) and the `smpp` package define
 * 0x64 ESME_RX_T_APPN (temporary application error), 0x65 ESME_RX_P_APPN (permanent
 * application error) and 0x66 ESME_RX_R_APPN (reject message). Some summaries write
 * 0x66 as RX_P_APPN; both 0x65 and 0x66 are permanent, so the outcome is the same.
 */

export type CommandStatusKind = 'ok' | 'throttled' | 'transient' | 'permanent' | 'bind';

export interface CommandStatusInfo {
  readonly code: number;
  /** The specification's name, e.g. ESME_RTHROTTLED; UNKNOWN_0x000000XX for codes not in the table. */
  readonly name: string;
  readonly kind: CommandStatusKind;
  readonly retryable: boolean;
}

/** A carrier's reclassification of one code. */
export type CommandStatusOverride = 'retryable' | 'permanent';

/**
 * Keyed by the code as a hex string ('0x00000045', '0x45') or a decimal string ('69').
 * Parsed from carrier configuration; {@link checkCommandStatusOverrides} reports bad keys.
 */
export type CommandStatusOverrides = Readonly<Record<string, CommandStatusOverride>>;

type Row = readonly [code: number, name: string, kind: CommandStatusKind];

// Every code defined by SMPP 3.4 §5.1.3 (plus the 5.0 additions the `smpp` package knows),
// with the action the gateway takes on it.
const ROWS: readonly Row[] = [
  [0x00, 'ESME_ROK', 'ok'],
  [0x01, 'ESME_RINVMSGLEN', 'permanent'],
  [0x02, 'ESME_RINVCMDLEN', 'permanent'],
  [0x03, 'ESME_RINVCMDID', 'permanent'],
  [0x04, 'ESME_RINVBNDSTS', 'bind'],
  [0x05, 'ESME_RALYBND', 'bind'],
  [0x06, 'ESME_RINVPRTFLG', 'permanent'],
  [0x07, 'ESME_RINVREGDLVFLG', 'permanent'],
  [0x08, 'ESME_RSYSERR', 'transient'],
  [0x0a, 'ESME_RINVSRCADR', 'permanent'],
  [0x0b, 'ESME_RINVDSTADR', 'permanent'],
  [0x0c, 'ESME_RINVMSGID', 'permanent'],
  [0x0d, 'ESME_RBINDFAIL', 'bind'],
  [0x0e, 'ESME_RINVPASWD', 'bind'],
  [0x0f, 'ESME_RINVSYSID', 'bind'],
  [0x11, 'ESME_RCANCELFAIL', 'permanent'],
  [0x13, 'ESME_RREPLACEFAIL', 'permanent'],
  [0x14, 'ESME_RMSGQFUL', 'throttled'],
  [0x15, 'ESME_RINVSERTYP', 'permanent'],
  [0x33, 'ESME_RINVNUMDESTS', 'permanent'],
  [0x34, 'ESME_RINVDLNAME', 'permanent'],
  [0x40, 'ESME_RINVDESTFLAG', 'permanent'],
  [0x42, 'ESME_RINVSUBREP', 'permanent'],
  [0x43, 'ESME_RINVESMCLASS', 'permanent'],
  [0x44, 'ESME_RCNTSUBDL', 'permanent'],
  // "Submit failed" is, in practice, most often a passing fault inside the SMSC.
  [0x45, 'ESME_RSUBMITFAIL', 'transient'],
  [0x48, 'ESME_RINVSRCTON', 'permanent'],
  [0x49, 'ESME_RINVSRCNPI', 'permanent'],
  [0x50, 'ESME_RINVDSTTON', 'permanent'],
  [0x51, 'ESME_RINVDSTNPI', 'permanent'],
  [0x53, 'ESME_RINVSYSTYP', 'permanent'],
  [0x54, 'ESME_RINVREPFLAG', 'permanent'],
  [0x55, 'ESME_RINVNUMMSGS', 'permanent'],
  [0x58, 'ESME_RTHROTTLED', 'throttled'],
  [0x61, 'ESME_RINVSCHED', 'permanent'],
  [0x62, 'ESME_RINVEXPIRY', 'permanent'],
  [0x63, 'ESME_RINVDFTMSGID', 'permanent'],
  [0x64, 'ESME_RX_T_APPN', 'transient'],
  [0x65, 'ESME_RX_P_APPN', 'permanent'],
  [0x66, 'ESME_RX_R_APPN', 'permanent'],
  [0x67, 'ESME_RQUERYFAIL', 'permanent'],
  [0xc0, 'ESME_RINVTLVSTREAM', 'permanent'],
  [0xc1, 'ESME_RTLVNOTALLWD', 'permanent'],
  [0xc2, 'ESME_RINVTLVLEN', 'permanent'],
  [0xc3, 'ESME_RMISSINGTLV', 'permanent'],
  [0xc4, 'ESME_RINVTLVVAL', 'permanent'],
  // Used by SMSCs for a failed onward delivery attempt; the next attempt may succeed.
  [0xfe, 'ESME_RDELIVERYFAILURE', 'transient'],
  [0xff, 'ESME_RUNKNOWNERR', 'transient'],
  [0x100, 'ESME_RSERTYPUNAUTH', 'permanent'],
  [0x101, 'ESME_RPROHIBITED', 'permanent'],
  [0x102, 'ESME_RSERTYPUNAVAIL', 'transient'],
  [0x103, 'ESME_RSERTYPDENIED', 'permanent'],
  [0x104, 'ESME_RINVDCS', 'permanent'],
  [0x105, 'ESME_RINVSRCADDRSUBUNIT', 'permanent'],
  [0x106, 'ESME_RINVDSTADDRSUBUNIT', 'permanent'],
];

/** Kinds for which a retry of the same request can succeed without a configuration change. */
function defaultRetryable(code: number, kind: CommandStatusKind): boolean {
  switch (kind) {
    case 'ok':
    case 'permanent':
      return false;
    case 'throttled':
    case 'transient':
      return true;
    case 'bind':
      // Session-state faults (0x04, 0x05) clear with a rebind; credential and bind refusals do not.
      return code === 0x04 || code === 0x05;
  }
}

/** The classification table, one entry per known code, in code order. */
export const COMMAND_STATUSES: ReadonlyMap<number, CommandStatusInfo> = new Map(
  ROWS.map(([code, name, kind]) => [code, Object.freeze({ code, name, kind, retryable: defaultRetryable(code, kind) })]),
);

/** '0x00000045' style, as operators and SMSC documentation write command_status values. */
export function formatCommandStatus(code: number): string {
  return `0x${(code >>> 0).toString(16).toUpperCase().padStart(8, '0')}`;
}

/**
 * The specification's name of a command_status, or `UNKNOWN_0x000000XX`.
 *
 * @example commandStatusName(0x58) // 'ESME_RTHROTTLED'
 */
export function commandStatusName(code: number): string {
  return COMMAND_STATUSES.get(code)?.name ?? `UNKNOWN_${formatCommandStatus(code)}`;
}

/** Parses an override key ('0x45', '0x00000045', '69'); undefined when it is not a valid code. */
export function parseCommandStatusKey(key: string): number | undefined {
  const k = key.trim();
  let code: number;
  if (/^0x[0-9a-f]{1,8}$/i.test(k)) code = Number.parseInt(k.slice(2), 16);
  else if (/^[0-9]{1,10}$/.test(k)) code = Number.parseInt(k, 10);
  else return undefined;
  return code <= 0xffffffff ? code : undefined;
}

/**
 * Problems in a carrier's overrides, for configuration validation: keys that are not codes,
 * codes given twice (e.g. '0x45' and '69'), values other than 'retryable'/'permanent', and
 * attempts to reclassify ESME_ROK.
 */
export function checkCommandStatusOverrides(overrides: Readonly<Record<string, string>>): string[] {
  const problems: string[] = [];
  const seen = new Map<number, string>();
  for (const [key, value] of Object.entries(overrides)) {
    const code = parseCommandStatusKey(key);
    if (code === undefined) {
      problems.push(`command status override "${key}": not a command_status (use hex like 0x00000045 or decimal)`);
      continue;
    }
    if (code === 0) problems.push(`command status override "${key}": ESME_ROK cannot be reclassified`);
    const previous = seen.get(code);
    if (previous !== undefined) problems.push(`command status override "${key}": same code as "${previous}"`);
    seen.set(code, key);
    if (value !== 'retryable' && value !== 'permanent') {
      problems.push(`command status override "${key}": value must be "retryable" or "permanent", got "${value}"`);
    }
  }
  return problems;
}

function findOverride(code: number, overrides: CommandStatusOverrides): CommandStatusOverride | undefined {
  for (const [key, value] of Object.entries(overrides)) {
    if (parseCommandStatusKey(key) === code && (value === 'retryable' || value === 'permanent')) return value;
  }
  return undefined;
}

/**
 * Classifies a command_status. Unknown codes are `transient` and retryable: an SMSC's
 * proprietary error is more often a passing fault than a verdict on the message, and the
 * carrier's maxAttempts bounds the cost of being wrong. The name of an unknown code carries
 * its number (`UNKNOWN_0x00000401`) so logs show it.
 *
 * `overrides` (from carrier configuration) reclassify a code. 'permanent' makes it not
 * retryable and turns a throttled/transient kind into permanent; 'retryable' makes it
 * retryable and turns a permanent kind into transient. A `bind` kind stays `bind` (the
 * session, not the message, is at fault either way). ESME_ROK is never reclassified. Invalid keys are ignored here; validate them
 * with {@link checkCommandStatusOverrides} when loading configuration.
 *
 * @example
 * classifyCommandStatus(0x58)  // { code: 88, name: 'ESME_RTHROTTLED', kind: 'throttled', retryable: true }
 * classifyCommandStatus(0x45, { '0x00000045': 'permanent' }).retryable // false
 */
export function classifyCommandStatus(code: number, overrides?: CommandStatusOverrides): CommandStatusInfo {
  const known = COMMAND_STATUSES.get(code);
  const base: CommandStatusInfo = known ?? {
    code,
    name: `UNKNOWN_${formatCommandStatus(code)}`,
    kind: 'transient',
    retryable: true,
  };
  if (code === 0 || overrides === undefined) return base;
  const override = findOverride(code, overrides);
  if (override === 'permanent') {
    return { ...base, kind: base.kind === 'bind' ? 'bind' : 'permanent', retryable: false };
  }
  if (override === 'retryable') {
    return { ...base, kind: base.kind === 'permanent' ? 'transient' : base.kind, retryable: true };
  }
  return base;
}
