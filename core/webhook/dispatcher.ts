/**
 * One delivery attempt of a status event: check the URL, resolve and re-check
 * its host, POST the signed JSON, classify the answer. No AWS here — the
 * webhook Lambda decides what a failure means for the queue.
 *
 * Classification: any 2xx is delivered. 5xx, 408, 429, network errors and
 * timeouts are retryable (the receiver may recover). Other 4xx are not: the
 * request itself is wrong for that receiver and will not get better. Redirects
 * are not followed — a 3xx could point at an internal host after the URL was
 * checked — so they fail, not retryable, with the status in the reason.
 */
import type { StatusEvent } from '../domain/status-event';
import { checkCallbackUrl, resolveAndCheck, webhookHeaders, type Lookup } from '../domain/webhook';

export const WEBHOOK_USER_AGENT = 'sms-gateway-webhooks/1';
export const DEFAULT_WEBHOOK_TIMEOUT_MS = 10_000;

export interface DeliverOptions {
  fetch?: typeof fetch;
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
  const e = err as { name?: string; message?: string; cause?: { code?: string; message?: string } };
  if (e?.name === 'TimeoutError' || e?.name === 'AbortError') return { timeout: true, text: 'timeout' };
  return { timeout: false, text: e?.cause?.code ?? e?.cause?.message ?? e?.message ?? String(err) };
}

/**
 * POSTs `event` to `target.url`, signed with `target.secret`.
 *
 * @example
 *   const result = await deliverWebhook(event, { url, secret }, { allowHttp: false, allowPrivate: false });
 *   if (!result.ok && result.retryable) scheduleRetry();
 */
export async function deliverWebhook(event: StatusEvent, target: { url: string; secret: string }, opts: DeliverOptions): Promise<DeliveryResult> {
  const check = checkCallbackUrl(target.url, opts);
  if (!check.ok) return { ok: false, retryable: false, reason: check.problem };
  if (!opts.allowPrivate) {
    try {
      const resolved = await resolveAndCheck(target.url, opts.lookup);
      if (!resolved.ok) return { ok: false, retryable: false, reason: resolved.problem };
    } catch (err) {
      return { ok: false, retryable: true, reason: `DNS lookup failed: ${describeError(err).text}` };
    }
  }

  const body = JSON.stringify(event);
  const timestamp = Math.floor((opts.now ?? Date.now)() / 1000);
  const doFetch = opts.fetch ?? fetch;
  let response: Response;
  try {
    response = await doFetch(target.url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'user-agent': WEBHOOK_USER_AGENT,
        ...webhookHeaders(target.secret, event.eventId, timestamp, body),
      },
      body,
      redirect: 'manual',
      signal: AbortSignal.timeout(opts.timeoutMs ?? DEFAULT_WEBHOOK_TIMEOUT_MS),
    });
  } catch (err) {
    const { timeout, text } = describeError(err);
    return { ok: false, retryable: true, reason: timeout ? `timeout after ${opts.timeoutMs ?? DEFAULT_WEBHOOK_TIMEOUT_MS} ms` : `network error: ${text}` };
  }
  // The answer's body is never read (it is the receiver's business); release the connection.
  await response.body?.cancel().catch(() => undefined);

  const { status } = response;
  if (status >= 200 && status < 300) return { ok: true, status };
  if (response.type === 'opaqueredirect' || (status >= 300 && status < 400)) return { ok: false, retryable: false, reason: `HTTP ${status}: redirects are not followed` };
  return { ok: false, retryable: isRetryableStatus(status), reason: `HTTP ${status}` };
}
