/**
 * Environment variables of the Lambdas: each function's schema lists what it
 * reads; `readEnv` is called once, at cold start, and a missing or malformed
 * variable fails the cold start with its name, instead of turning a feature off
 * (an empty queue URL, status events silently not published).
 *
 * The SMPP worker reads its own environment in worker/settings.ts (it also
 * falls back to the config file and .local/outputs.json for local runs).
 */
import * as z from 'zod/mini';

const Required = z.string().check(z.minLength(1, 'must be set'));
/** A JSON object carrierId → carrier queue URL. */
const CarrierQueueUrls = z.pipe(
  Required,
  z.transform((raw, ctx) => {
    try {
      const parsed = z.record(z.string(), z.string().check(z.minLength(1))).safeParse(JSON.parse(raw));
      if (parsed.success) return parsed.data;
    } catch {
      // reported below
    }
    ctx.issues.push({ code: 'custom', message: 'must be a JSON object of carrier id → queue URL', input: raw });
    return z.NEVER;
  }),
);

export const ApiEnv = z.object({
  TABLE_NAME: Required,
  /** The API's base URL (…/live): problem type URIs are `<API_URL>/problems/<name>`. */
  API_URL: z.url({ protocol: /^https?$/, error: 'must be the API base URL' }),
});
export const OutboxEnv = z.object({
  /** The message table: its usage items count the messages by final status. */
  TABLE_NAME: Required,
  INGEST_QUEUE_URL: Required,
  CARRIER_QUEUE_URLS: CarrierQueueUrls,
  STATUS_TOPIC_ARN: Required,
  /** Where the InboundEvent of each recorded inbound message goes. */
  INBOUND_TOPIC_ARN: Required,
  /** `batch` (AWS): PublishBatch. `one-by-one`, set by local deploys: MiniStack drops the message group of PublishBatch entries (docs/design.md, emulator gaps). */
  STATUS_PUBLISH: z._default(z.enum(['batch', 'one-by-one']), 'batch'),
});
export const RouterEnv = z.object({ TABLE_NAME: Required, CARRIER_QUEUE_URLS: CarrierQueueUrls });
export const SweeperEnv = z.object({ TABLE_NAME: Required, INGEST_QUEUE_URL: Required });

export class EnvironmentError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid environment: ${problems.join('; ')}`);
    this.name = 'EnvironmentError';
  }
}

/** The validated variables of `schema`; throws EnvironmentError naming every one at fault. */
export function readEnv<S extends z.ZodMiniType>(schema: S, env: Record<string, string | undefined> = process.env): z.infer<S> {
  const parsed = schema.safeParse(env);
  if (parsed.success) return parsed.data;
  throw new EnvironmentError(parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.code === 'invalid_type' ? 'must be set' : i.message}`));
}
