/**
 * Status webhooks, the pure parts: signing and verification, the retry schedule,
 * and the rules a callback URL must meet. The only I/O here is the DNS lookup of
 * `resolveAndCheck`, and it is injectable.
 *
 * Header scheme (docs/webhooks.md):
 *   Webhook-Id:        <eventId>            the same on every retry: deduplicate on it
 *   Webhook-Timestamp: <unix seconds>       when this attempt was signed
 *   Webhook-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<raw body>")>
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { lookup as dnsLookup } from 'node:dns/promises';
import * as z from 'zod/mini';

// ---------------------------------------------------------------- signing

export const SIGNATURE_HEADER = 'Webhook-Signature';
export const ID_HEADER = 'Webhook-Id';
export const TIMESTAMP_HEADER = 'Webhook-Timestamp';
export const DEFAULT_TOLERANCE_SECONDS = 300;

/**
 * Hex HMAC-SHA256 of `<timestamp>.<body>` — the `v1` part of the signature header.
 *
 * @example signWebhook('whsec_…', 1767225600, '{"version":1,…}') // → '5f1c…' (64 hex digits)
 */
export function signWebhook(secret: string, timestamp: number, body: string): string {
  if (!Number.isSafeInteger(timestamp) || timestamp < 0) throw new RangeError(`timestamp must be whole unix seconds, got ${timestamp}`);
  return createHmac('sha256', secret).update(`${timestamp}.${body}`, 'utf8').digest('hex');
}

/** The headers of one delivery attempt (besides content-type and user-agent). */
export function webhookHeaders(secret: string, eventId: string, timestamp: number, body: string): Record<string, string> {
  return {
    [ID_HEADER]: eventId,
    [TIMESTAMP_HEADER]: String(timestamp),
    [SIGNATURE_HEADER]: `t=${timestamp},v1=${signWebhook(secret, timestamp, body)}`,
  };
}

/**
 * Parses `t=<seconds>,v1=<hex>[,v1=<hex>…]`. Several v1 values are allowed (a
 * sender rotating its secret signs with both); unknown keys are ignored so a
 * later scheme (v2) can be added alongside.
 */
export function parseSignatureHeader(header: string): { timestamp: number; signatures: string[] } | undefined {
  let timestamp: number | undefined;
  const signatures: string[] = [];
  for (const part of header.split(',')) {
    const eq = part.indexOf('=');
    if (eq < 0) return undefined;
    const key = part.slice(0, eq).trim();
    const value = part.slice(eq + 1).trim();
    if (key === 't') {
      if (timestamp !== undefined || !/^[0-9]{1,12}$/.test(value)) return undefined;
      timestamp = Number(value);
    } else if (key === 'v1') {
      if (!/^[0-9a-fA-F]{64}$/.test(value)) return undefined;
      signatures.push(value.toLowerCase());
    }
  }
  return timestamp !== undefined && signatures.length > 0 ? { timestamp, signatures } : undefined;
}

/**
 * Whether `header` is a valid signature of the raw `body` with `secret`, signed
 * within `toleranceSeconds` of `nowSeconds` (either side: clocks drift). The
 * tolerance is what stops a captured request from being replayed later.
 *
 * @example verifyWebhook(secret, req.headers['webhook-signature'], rawBody, Math.floor(Date.now() / 1000))
 */
export function verifyWebhook(secret: string, header: string, body: string, nowSeconds: number, toleranceSeconds = DEFAULT_TOLERANCE_SECONDS): boolean {
  const parsed = parseSignatureHeader(header);
  if (!parsed || Math.abs(nowSeconds - parsed.timestamp) > toleranceSeconds) return false;
  const expected = Buffer.from(signWebhook(secret, parsed.timestamp, body), 'hex');
  // Constant-time per candidate; lengths are equal (64 hex digits, checked by the parser).
  return parsed.signatures.some((s) => timingSafeEqual(Buffer.from(s, 'hex'), expected));
}

/**
 * The signing secrets from the Secrets Manager value: a JSON object
 * `{ "<tenantId>": "<secret>" }` (one secret per tenant) or a plain string used
 * for every tenant. Throws on an empty value or an object with non-string values.
 */
export function signingSecretsFrom(value: string): (tenantId: string) => string | undefined {
  if (value.trim() === '') throw new Error('webhook signing secret is empty');
  let json: unknown;
  try {
    json = JSON.parse(value);
  } catch {
    return () => value;
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) return () => value;
  const perTenant = z.record(z.string(), z.string().check(z.minLength(1))).safeParse(json);
  if (!perTenant.success) throw new Error('webhook signing secret: a JSON value must map tenant ids to non-empty strings');
  const secrets = new Map(Object.entries(perTenant.data));
  return (tenantId) => secrets.get(tenantId);
}

// ---------------------------------------------------------------- retries

export const RETRY_BASE_SECONDS = 30;
export const RETRY_CAP_SECONDS = 3600;

/**
 * Attempts before an event is dead-lettered (the first delivery included).
 *
 * The delay after attempt n is drawn from [d/2, d], d = min(1 h, 30 s·2^(n-1))
 * ("equal jitter": full jitter, [0, d], has a minimum of 0 and so could not
 * promise any retry period). Minimum delays after attempts 1–7:
 * 15+30+60+120+240+480+960 = 1905 s; from attempt 8 on d is capped at 3600 s,
 * so the minimum is 1800 s. 54 delays (after attempts 1–54) give at least
 * 1905 + 47·1800 = 86 505 s ≥ 86 400 s (24 h); attempt 55 is the last. At the
 * maximum of the jitter the same schedule takes 3810 + 47·3600 = 173 010 s
 * (≈ 48 h), well inside SQS's 4-day default retention. Every delay is far below
 * ChangeMessageVisibility's 12-hour limit, so one receive = one attempt.
 */
export const MAX_WEBHOOK_ATTEMPTS = 55;

/** The range `retryDelaySeconds(attempt)` draws from. */
export function retryDelayBounds(attempt: number): { min: number; max: number } {
  const exponent = Math.max(0, Math.min(attempt - 1, 20)); // 2^20·30 s is far past the cap
  const max = Math.min(RETRY_CAP_SECONDS, RETRY_BASE_SECONDS * 2 ** exponent);
  return { min: Math.ceil(max / 2), max };
}

/** Whole seconds to wait after failed attempt `attempt` (1-based) before the next one. */
export function retryDelaySeconds(attempt: number, random: () => number = Math.random): number {
  const { min, max } = retryDelayBounds(attempt);
  return min + Math.min(max - min, Math.floor(random() * (max - min + 1)));
}

export type FailureStep = { action: 'retry'; delaySeconds: number } | { action: 'dead-letter'; reason: string };

/**
 * What to do after failed attempt `attempt`: retry later while the failure is
 * retryable and attempts remain, otherwise dead-letter with the reason.
 */
export function nextStepAfterFailure(failure: { retryable: boolean; reason: string }, attempt: number, random: () => number = Math.random): FailureStep {
  if (!failure.retryable) return { action: 'dead-letter', reason: failure.reason };
  if (attempt >= MAX_WEBHOOK_ATTEMPTS) return { action: 'dead-letter', reason: `gave up after ${attempt} attempts: ${failure.reason}` };
  return { action: 'retry', delaySeconds: retryDelaySeconds(attempt, random) };
}

// ---------------------------------------------------------------- URL rules

export interface CallbackUrlOptions {
  /** Accept http: URLs (local and emulator use only). */
  allowHttp: boolean;
  /** Accept private, loopback and internal hosts (local and emulator use only). */
  allowPrivate: boolean;
}

export type UrlCheck = { ok: true } | { ok: false; problem: string };

export const MAX_CALLBACK_URL_LENGTH = 2048;

/** [first address, prefix length, what it is]: IPv4 ranges a webhook must never reach. */
const BLOCKED_IPV4: readonly [string, number, string][] = [
  ['0.0.0.0', 8, '"this network" address (0.0.0.0/8)'],
  ['10.0.0.0', 8, 'private address (10.0.0.0/8)'],
  ['100.64.0.0', 10, 'shared (carrier-grade NAT) address (100.64.0.0/10)'],
  ['127.0.0.0', 8, 'loopback address (127.0.0.0/8)'],
  ['169.254.0.0', 16, 'link-local address (169.254.0.0/16, includes instance metadata)'],
  ['172.16.0.0', 12, 'private address (172.16.0.0/12)'],
  ['192.0.0.0', 24, 'IETF protocol address (192.0.0.0/24)'],
  ['192.168.0.0', 16, 'private address (192.168.0.0/16)'],
  ['198.18.0.0', 15, 'benchmarking address (198.18.0.0/15)'],
  ['224.0.0.0', 4, 'multicast address (224.0.0.0/4)'],
  ['240.0.0.0', 4, 'reserved address (240.0.0.0/4)'],
];

function parseIPv4(text: string): number | undefined {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(text);
  if (!m) return undefined;
  const octets = m.slice(1).map(Number);
  if (octets.some((o) => o > 255)) return undefined;
  return octets.reduce((acc, o) => acc * 256 + o, 0);
}

const BLOCKED_IPV4_RANGES = BLOCKED_IPV4.map(([base, bits, what]) => ({ base: parseIPv4(base) ?? 0, size: 2 ** (32 - bits), what }));

function ipv4Problem(value: number): string | undefined {
  return BLOCKED_IPV4_RANGES.find((r) => value >= r.base && value < r.base + r.size)?.what;
}

/** Eight 16-bit groups, or undefined. Accepts "::" compression, a trailing dotted IPv4 and a zone id. */
function parseIPv6(text: string): number[] | undefined {
  let s = text.replace(/%.*$/, '');
  const groups: number[] = [];
  const tail = /:(\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3})$/.exec(s);
  let v4: number | undefined;
  if (tail?.[1]) {
    v4 = parseIPv4(tail[1]);
    if (v4 === undefined) return undefined;
    s = `${s.slice(0, s.length - tail[1].length)}0:0`; // placeholder groups, replaced below
  }
  const halves = s.split('::');
  if (halves.length > 2) return undefined;
  const parse = (part: string | undefined) => (part ? part.split(':') : []).map((g) => (/^[0-9a-fA-F]{1,4}$/.test(g) ? parseInt(g, 16) : NaN));
  const head = parse(halves[0]);
  const rest = parse(halves[1]);
  if ([...head, ...rest].some(Number.isNaN)) return undefined;
  if (halves.length === 2) {
    if (head.length + rest.length > 7) return undefined;
    groups.push(...head, ...new Array<number>(8 - head.length - rest.length).fill(0), ...rest);
  } else {
    if (head.length !== 8) return undefined;
    groups.push(...head);
  }
  if (v4 !== undefined) {
    groups[6] = Math.floor(v4 / 65536);
    groups[7] = v4 % 65536;
  }
  return groups;
}

function ipv6Problem(g: number[]): string | undefined {
  const [g0 = 0, g1 = 0, g2 = 0, g3 = 0, g4 = 0, g5 = 0, g6 = 0, g7 = 0] = g;
  const embedded = g6 * 65536 + g7;
  if (g0 === 0 && g1 === 0 && g2 === 0 && g3 === 0 && g4 === 0) {
    if (g5 === 0xffff) return 'IPv4-mapped IPv6 address (::ffff:0:0/96)';
    if (g5 === 0) return embedded === 1 ? 'loopback address (::1)' : 'unspecified or IPv4-compatible IPv6 address (::/96)';
  }
  // NAT64 (DNS64 hands these out for IPv4-only hosts): judge the IPv4 address inside.
  if (g0 === 0x64 && g1 === 0xff9b && g2 === 0 && g3 === 0 && g4 === 0 && g5 === 0) {
    const inner = ipv4Problem(embedded);
    if (inner) return `NAT64 address of a ${inner}`;
  }
  if (g0 === 0x2002) {
    const inner = ipv4Problem(g1 * 65536 + g2);
    if (inner) return `6to4 address of a ${inner}`;
  }
  if ((g0 & 0xfe00) === 0xfc00) return 'unique local IPv6 address (fc00::/7, includes instance metadata)';
  if ((g0 & 0xffc0) === 0xfe80) return 'link-local IPv6 address (fe80::/10)';
  if ((g0 & 0xffc0) === 0xfec0) return 'site-local IPv6 address (fec0::/10)';
  if ((g0 & 0xff00) === 0xff00) return 'multicast IPv6 address (ff00::/8)';
  return undefined;
}

/**
 * Why `address` (an IPv4 or IPv6 literal, brackets allowed) must not be called,
 * or undefined when it is a public address. Throws when it is not an address.
 */
export function blockedAddressProblem(address: string): string | undefined {
  const bare = address.replace(/^\[(.*)\]$/, '$1');
  const v4 = parseIPv4(bare);
  if (v4 !== undefined) return ipv4Problem(v4);
  const v6 = bare.includes(':') ? parseIPv6(bare) : undefined;
  if (v6) return ipv6Problem(v6);
  throw new Error(`not an IP address: ${address}`);
}

function isIpLiteral(host: string): boolean {
  const bare = host.replace(/^\[(.*)\]$/, '$1');
  return parseIPv4(bare) !== undefined || (bare.includes(':') && parseIPv6(bare) !== undefined);
}

function hostProblem(host: string): string | undefined {
  if (isIpLiteral(host)) {
    const problem = blockedAddressProblem(host);
    return problem ? `callbackUrl points to a ${problem}` : undefined;
  }
  const name = host.toLowerCase().replace(/\.$/, '');
  if (name === 'localhost' || name.endsWith('.localhost')) return 'callbackUrl points to localhost';
  if (name === 'internal' || name.endsWith('.internal')) return 'callbackUrl points to an internal host name (*.internal)';
  // A single label is completed with the resolver's search domains: an internal host.
  if (!name.includes('.')) return 'callbackUrl host must be a fully qualified domain name';
  return undefined;
}

/**
 * Whether `url` may receive webhooks: https (http only when allowed), no
 * credentials, and — unless private hosts are allowed — no literal private,
 * loopback, link-local, unique-local or metadata address and no localhost or
 * *.internal name. Host names that resolve to such addresses are caught by
 * `resolveAndCheck`, right before each request.
 *
 * The WHATWG URL parser normalises the host first, so decimal, hex and short
 * IPv4 forms (http://2130706433/, http://0x7f.1/) are judged as the dotted
 * address they mean, and https://good.com@10.0.0.1/ as host 10.0.0.1.
 *
 * @example checkCallbackUrl('https://hooks.example.com/sms', { allowHttp: false, allowPrivate: false }) // { ok: true }
 */
export function checkCallbackUrl(url: string, opts: CallbackUrlOptions): UrlCheck {
  if (url.length > MAX_CALLBACK_URL_LENGTH) return { ok: false, problem: `callbackUrl is at most ${MAX_CALLBACK_URL_LENGTH} characters` };
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return { ok: false, problem: 'callbackUrl is not a valid URL' };
  }
  if (parsed.protocol !== 'https:' && !(opts.allowHttp && parsed.protocol === 'http:')) {
    return { ok: false, problem: opts.allowHttp ? 'callbackUrl must be an http(s) URL' : 'callbackUrl must be an https URL' };
  }
  if (parsed.username !== '' || parsed.password !== '') return { ok: false, problem: 'callbackUrl must not contain credentials (user:password@)' };
  if (parsed.hostname === '') return { ok: false, problem: 'callbackUrl has no host' };
  if (opts.allowPrivate) return { ok: true };
  const problem = hostProblem(parsed.hostname);
  return problem ? { ok: false, problem } : { ok: true };
}

/** The shape of `dns.promises.lookup(host, { all: true })`, injectable for tests. */
export type Lookup = (hostname: string, options: { all: true }) => Promise<{ address: string; family: number }[]>;

/**
 * Resolves the URL's host and refuses it when ANY of its addresses is blocked —
 * the guard against a public name that points (or is re-pointed, DNS
 * rebinding) at an internal address. Call it right before each request. A
 * lookup error (NXDOMAIN, SERVFAIL, timeout) is thrown: it may be temporary.
 *
 * @example const check = await resolveAndCheck('https://hooks.example.com/sms'); if (!check.ok) refuse(check.problem);
 */
export async function resolveAndCheck(url: string, lookup: Lookup = dnsLookup): Promise<{ ok: true; addresses: string[] } | { ok: false; problem: string }> {
  let host: string;
  try {
    host = new URL(url).hostname;
  } catch {
    return { ok: false, problem: 'callbackUrl is not a valid URL' };
  }
  if (isIpLiteral(host)) {
    const problem = blockedAddressProblem(host);
    return problem ? { ok: false, problem: `callbackUrl points to a ${problem}` } : { ok: true, addresses: [host.replace(/^\[(.*)\]$/, '$1')] };
  }
  const resolved = await lookup(host, { all: true });
  if (resolved.length === 0) throw new Error(`${host} resolved to no address`);
  for (const { address } of resolved) {
    let problem: string | undefined;
    try {
      problem = blockedAddressProblem(address);
    } catch {
      problem = `unparseable address ${address}`;
    }
    if (problem) return { ok: false, problem: `${host} resolves to a ${problem}` };
  }
  return { ok: true, addresses: resolved.map((r) => r.address) };
}
