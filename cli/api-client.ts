/**
 * The gateway's HTTP API as smsgw calls it: the API key on every request, JSON
 * both ways, a request refused with 429 tried again after Retry-After, and an
 * error answer turned into an ApiError whose message is one line.
 */
import * as z from 'zod/mini';
import type { CliConfig } from './config';

const FieldProblem = z.object({ field: z.string(), problem: z.string() });
const ProblemBody = z.object({ title: z.optional(z.string()), detail: z.optional(z.string()), errors: z.optional(z.array(FieldProblem)) });

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly body: unknown,
  ) {
    super(formatProblem(status, body));
    this.name = 'ApiError';
  }
}

/**
 * One line for an error answer: the failing fields when the problem names them,
 * else its detail or title.
 *
 * @example formatProblem(422, { errors: [{ field: 'to', problem: 'destination is not a mobile number' }] }) // 'error 422: to: destination is not a mobile number'
 */
export function formatProblem(status: number, body: unknown): string {
  const parsed = ProblemBody.safeParse(body);
  const p = parsed.success ? parsed.data : {};
  const what = p.errors?.length ? p.errors.map((e) => `${e.field}: ${e.problem}`).join('; ') : (p.detail ?? p.title ?? (typeof body === 'string' && body.trim() !== '' ? body.trim().slice(0, 200) : 'no details'));
  return `error ${status}: ${what}`;
}

export interface ApiClient {
  request(method: string, path: string, body?: unknown): Promise<unknown>;
}

/** Tries of one request while the API answers 429 (nothing of a refused request is stored, so a retry is safe). */
export const RATE_LIMIT_TRIES = 5;

/** The longest Retry-After the client waits for; a longer one (quota-exceeded, suspected-pumping) fails at once. */
export const MAX_RETRY_AFTER_SECONDS = 30;

export function apiClient(config: CliConfig, doFetch: typeof fetch = fetch, sleep: (ms: number) => Promise<void> = (ms) => new Promise((r) => setTimeout(r, ms))): ApiClient {
  return {
    async request(method, path, body) {
      if (!config.apiUrl) throw new Error(`no API URL: pass --api-url, set SMSGW_API_URL, or run 'npm run local' (writes ${config.outputsPath})`);
      if (!config.apiKey) throw new Error('no API key: pass --api-key or set SMSGW_API_KEY');
      const headers: Record<string, string> = { 'x-api-key': config.apiKey, accept: 'application/json, application/problem+json' };
      if (body !== undefined) headers['content-type'] = 'application/json';
      for (let tries = 1; ; tries++) {
        const res = await doFetch(`${config.apiUrl}${path}`, { method, headers, ...(body !== undefined ? { body: JSON.stringify(body) } : {}), signal: AbortSignal.timeout(30_000) });
        const text = await res.text();
        let json: unknown = text;
        try {
          json = text ? JSON.parse(text) : undefined;
        } catch {
          // not JSON: keep the text for the error line
        }
        const seconds = Number(res.headers.get('retry-after'));
        // A rate limit clears within seconds; a quota (Retry-After: until midnight) is not worth waiting for.
        if (res.status === 429 && tries < RATE_LIMIT_TRIES && !(seconds > MAX_RETRY_AFTER_SECONDS)) {
          await sleep((Number.isInteger(seconds) && seconds > 0 ? seconds : 1) * 1000);
          continue;
        }
        if (!res.ok) throw new ApiError(res.status, json);
        return json;
      }
    },
  };
}
