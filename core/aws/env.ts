/**
 * Environment variables of the Lambdas and the worker: read once, here, and validated.
 */
import * as z from 'zod/mini';

const LambdaEnv = z.object({
  TABLE_NAME: z.string().check(z.minLength(1)),
  INGEST_QUEUE_URL: z.optional(z.string().check(z.minLength(1))),
  STATUS_TOPIC_ARN: z.optional(z.string()),
  /** JSON object carrierId → carrier queue URL. */
  CARRIER_QUEUE_URLS: z.optional(z.string()),
});
export type LambdaEnv = z.infer<typeof LambdaEnv>;

let cached: LambdaEnv | undefined;

export function lambdaEnv(): LambdaEnv {
  cached ??= LambdaEnv.parse(process.env);
  return cached;
}

export function carrierQueueUrls(): Record<string, string> {
  const raw = lambdaEnv().CARRIER_QUEUE_URLS;
  return raw ? z.record(z.string(), z.string()).parse(JSON.parse(raw)) : {};
}
