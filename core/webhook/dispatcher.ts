/**
 * One delivery attempt of a status event: check the URL, resolve and re-check
 * its host, POST the signed JSON to the addresses just checked, classify the
 * answer. No AWS here — deliver-status-event.ts decides what a failure means for the queue.
 *
 * The connection goes to the checked addresses, not to a second resolution of
 * the name: a receiver whose DNS answers a public address to the check and a
 * private one a moment later (DNS rebinding) still only reaches the public one.
 *
 * Classification: any 2xx is delivered. 5xx, 408, 429, network errors and
 * timeouts are retryable (the receiver may recover). Other 4xx are not: the
 * request itself is wrong for that receiver and will not get better. Redirects
 * are not followed — a 3xx could point at an internal host after the URL was
 * checked — so they fail, not retryable, with the status in the reason.
 */
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { isIPv6, type LookupFunction } from 'node:net';
import type { TopicEvent } from '../domain/opt-out-event';
import { checkCallbackUrl, resolveAndCheck, webhookHeaders, type Lookup } from '../domain/webhook';

export const WEBHOOK_USER_AGENT = 'sms-gateway-webhooks/1';
export const DEFAULT_WEBHOOK_TIMEOUT_MS = 10_000;

/** One POST; resolves with the answer's status once its headers arrive (the body is discarded). */
export type Transport = (request: {
  url: URL;
  /** Connect only to these (the addresses the check passed); undefined: resolve the host as usual. */
  addresses: string[] | undefined;
  headers: Record<string, string>;
  body: string;
  timeoutMs: number;
}) => Promise<number>;

/** A DNS lookup that answers the given addresses whatever the name, in the shapes net.connect asks for. */
export function pinnedLookup(addresses: string[]): LookupFunction {
  const entries = addresses.map((address) => ({ address, family: isIPv6(address) ? 6 : 4 }));
  return (_hostname, options, callback) => {
    const wanted = options.family === 4 || options.family === 6 ? entries.filter((e) => e.family === options.family) : entries;
    if (wanted.length === 0) {
      callback(Object.assign(new Error(`no checked IPv${options.family} address`), { code: 'ENOTFOUND' }), '', 0);
    } else if (options.all) {
      (callback as unknown as (err: null, addresses: { address: string; family: number }[]) => void)(null, wanted);
    } else {
      callback(null, wanted[0]!.address, wanted[0]!.family);
    }
  };
}

/** node:http(s) POST without redirects, pinned to `addresses` when given. */
export const httpPost: Transport = ({ url, addresses, headers, body, timeoutMs }) =>
  new Promise((resolve, reject) => {
    const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
    const req = send(
      url,
      {
        method: 'POST',
        headers: { ...headers, 'content-length': String(Buffer.byteLength(body)) },
        signal: AbortSignal.timeout(timeoutMs),
        ...(addresses ? { lookup: pinnedLookup(addresses) } : {}),
      },
      (res) => {
        // The answer's body is never read (it is the receiver's business); drain it to free the socket.
        res.resume();
        resolve(res.statusCode ?? 0);
      },
    );
    req.on('error', reject);
    req.end(body);
  });

export interface DeliverOptions {
  transport?: Transport;
  /** Clock in milliseconds (Date.now). */
  now?: () => number;
  /** Whole request, connect to response headers; default 10 s. */
  timeoutMs?: number;
  /** http: URLs (local and emulator use only). */
  allowHttp: boolean;
  /** Private and loopback hosts, and no DNS check (local and emulator use only). */
  allowPrivate: boolean;
  lookup?: Lookup;
}

export type DeliveryResult = { ok: true; status: number } | { ok: false; retryable: boolean; reason: string };

function isRetryableStatus(status: number): boolean {
  return status >= 500 || status === 408 || status === 429;
}

function describeError(err: unknown): { timeout: boolean; text: string } {
  const e = err as { name?: string; code?: string; message?: string; cause?: { code?: string; message?: string } };
  if (e?.name === 'TimeoutError' || e?.name === 'AbortError') return { timeout: true, text: 'timeout' };
  return { timeout: false, text: e?.code ?? e?.cause?.code ?? e?.cause?.message ?? e?.message ?? String(err) };
}

/**
 * POSTs `event` to `target.url`, signed with `target.secret`.
 *
 * @example
 *   const result = await deliverWebhook(event, { url, secret }, { allowHttp: false, allowPrivate: false });
 *   if (!result.ok && result.retryable) scheduleRetry();
 */
export async function deliverWebhook(event: TopicEvent, target: { url: string; secret: string }, opts: DeliverOptions): Promise<DeliveryResult> {
  const body = JSON.stringify(event);
  const timestamp = Math.floor((opts.now ?? Date.now)() / 1000);
  return postToReceiver(target.url, { body, headers: { 'content-type': 'application/json', ...webhookHeaders(target.secret, event.eventId, timestamp, body) } }, opts);
}

/**
 * One POST of a signed body to a receiver, whatever its form (our JSON events, Twilio's form
 * callbacks): the URL rules, the DNS check and pinning, the timeout and the classification above.
 */
export async function postToReceiver(url: string, request: { body: string; headers: Record<string, string> }, opts: DeliverOptions): Promise<DeliveryResult> {
  const check = checkCallbackUrl(url, opts);
  if (!check.ok) return { ok: false, retryable: false, reason: check.problem };
  let addresses: string[] | undefined;
  if (!opts.allowPrivate) {
    try {
      const resolved = await resolveAndCheck(url, opts.lookup);
      if (!resolved.ok) return { ok: false, retryable: false, reason: resolved.problem };
      addresses = resolved.addresses;
    } catch (err) {
      return { ok: false, retryable: true, reason: `DNS lookup failed: ${describeError(err).text}` };
    }
  }

  const timeoutMs = opts.timeoutMs ?? DEFAULT_WEBHOOK_TIMEOUT_MS;
  let status: number;
  try {
    status = await (opts.transport ?? httpPost)({
      url: new URL(url),
      addresses,
      headers: { 'user-agent': WEBHOOK_USER_AGENT, ...request.headers },
      body: request.body,
      timeoutMs,
    });
  } catch (err) {
    const { timeout, text } = describeError(err);
    return { ok: false, retryable: true, reason: timeout ? `timeout after ${timeoutMs} ms` : `network error: ${text}` };
  }

  if (status >= 200 && status < 300) return { ok: true, status };
  if (status >= 300 && status < 400) return { ok: false, retryable: false, reason: `HTTP ${status}: redirects are not followed` };
  return { ok: false, retryable: isRetryableStatus(status), reason: `HTTP ${status}` };
}
