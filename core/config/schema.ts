/**
 * The gateway configuration: one file (YAML or JSON) shared by the CDK app, the
 * Lambdas (as a compiled runtime subset) and the SMPP worker. Every field is
 * documented in README.md#configuration; keep the two in step.
 */
import { z } from 'zod';

const Id = z
  .string()
  .regex(/^[a-z0-9][a-z0-9-]{0,39}$/, 'must be 1-40 lowercase letters, digits or dashes, starting with a letter or digit');

const Sha256Hex = z.string().regex(/^[0-9a-f]{64}$/, 'must be a lowercase hex SHA-256 digest (64 characters)');

const IsoCountry = z.string().regex(/^[A-Z]{2}$/, 'a country is an ISO 3166-1 alpha-2 code such as "GB"');

/** A number a tenant sends from and receives on: an E.164 long code ("+447700900000") or a short code ("60123"). */
export const OwnedNumber = z.string().regex(/^(?:\+[1-9][0-9]{6,14}|[0-9]{3,8})$/, 'a number is E.164 ("+" and 7-15 digits) or a short code (3-8 digits)');

/** An opt-out keyword of a tenant's own: one word or phrase, compared trimmed and case-insensitively (core/domain/opt-out-keywords.ts). */
const Keyword = z.string().trim().min(1, 'a keyword must not be empty').max(30, 'a keyword is at most 30 characters');

const ReplyText = z.string().min(1, 'a reply must not be empty').max(306, 'a reply is at most 306 characters (two GSM-7 segments)');

export const OptOutConfig = z.strictObject({
  /** `tenant`: a STOP to any of the tenant's numbers stops all its traffic to that number; `sender`: only from the number the STOP was sent to. */
  scope: z.enum(['tenant', 'sender']).default('tenant'),
  /** `all`: an opted-out number gets nothing; `promotional`: transactional messages (OTPs, alerts) still go through. */
  appliesTo: z.enum(['all', 'promotional']).default('all'),
  /** Added to the standard keywords (STOP, STOPALL, UNSUBSCRIBE, CANCEL, END, QUIT, OPTOUT, REVOKE). */
  stopKeywords: z.array(Keyword).default([]),
  /** Added to START, UNSTOP, YES. */
  startKeywords: z.array(Keyword).default([]),
  /** Added to HELP, INFO. */
  helpKeywords: z.array(Keyword).default([]),
  /** The texts of the replies; unset, the CTIA-style defaults (core/domain/opt-out-keywords.ts). */
  replies: z.strictObject({ stop: ReplyText.optional(), start: ReplyText.optional(), help: ReplyText.optional() }).prefault({}),
});

const PositiveCount = z.number().int().positive();

export const PumpingConfig = z.strictObject({
  /** Messages per destination country and hour: `default` for every country, an ISO code for one. */
  perCountryPerHour: z
    .record(z.string().regex(/^(?:default|[A-Z]{2})$/, 'a key is "default" or an ISO 3166-1 alpha-2 code'), PositiveCount)
    .optional(),
  /** Messages per destination prefix (the number without its last 3 digits) and hour. */
  perPrefixPerHour: PositiveCount.optional(),
});

export const QuotaConfig = z.strictObject({
  segmentsPerDay: PositiveCount.optional(),
  segmentsPerMonth: PositiveCount.optional(),
  /** In the currency of `prices`. */
  spendPerMonth: z.number().positive().optional(),
});

export const CountriesConfig = z.union([
  z.strictObject({ allow: z.array(IsoCountry).min(1, 'allow at least one country, or leave countries out') }),
  z.strictObject({ block: z.array(IsoCountry).min(1, 'block at least one country, or leave countries out') }),
]);

/** A price per segment: at most 6 decimals, so that sums in millionths are exact (core/domain/prices.ts). */
const Rate = z
  .number()
  .nonnegative()
  .refine((r) => Math.abs(Math.round(r * 1e6) - r * 1e6) < 1e-6, 'a price has at most 6 decimals');

export const PricesConfig = z.strictObject({
  /** ISO 4217 code of every price and of spendPerMonth. */
  currency: z.string().regex(/^[A-Z]{3}$/, 'a currency is an ISO 4217 code such as "EUR"'),
  /** Price of one segment: `default`, and an ISO country code for a country's own. */
  perSegment: z
    .record(z.string().regex(/^(?:default|[A-Z]{2})$/, 'a key is "default" or an ISO 3166-1 alpha-2 code'), Rate)
    .refine((r) => r.default !== undefined, 'perSegment needs a default price'),
  /** A carrier's own prices by country, over perSegment. */
  carriers: z.record(z.string(), z.record(IsoCountry, Rate)).optional(),
});

const TimeOfDay = z.string().regex(/^(?:[01][0-9]|2[0-3]):[0-5][0-9]$/, 'a time of day is "HH:MM", 00:00 to 23:59');

/** A daily window in the destination's local time; `start` after `end` spans midnight (core/domain/quiet-hours.ts). */
export const QuietHoursConfig = z
  .strictObject({ start: TimeOfDay, end: TimeOfDay })
  .refine((w) => w.start !== w.end, { message: 'start and end must differ (a window of no time, or of the whole day, defers nothing or everything)', path: ['end'] });

/**
 * A tenant's account on the Twilio-compatible API (core/twilio/): HTTP Basic `accountSid:authToken`.
 * The API compares SHA-256 digests (authTokenSha256, or the plaintext authToken hashed at synth);
 * status callbacks are signed with the token itself (HMAC-SHA1, Twilio's scheme), so a deployed
 * stack reads it from authTokenSecret: a digest cannot sign.
 */
export const TwilioAccountConfig = z
  .strictObject({
    /** "AC" and 32 lowercase hex digits, as Twilio's account SIDs. */
    accountSid: z.string().regex(/^AC[0-9a-f]{32}$/, 'an account SID is "AC" followed by 32 lowercase hex digits'),
    /** SHA-256 hex digest of the auth token: the form to use for real deployments. */
    authTokenSha256: Sha256Hex.optional(),
    /** Plaintext auth token. Meant for local configs only (as apiKeys): the app hashes it at synth. */
    authToken: z.string().min(16, 'an auth token must be at least 16 characters').optional(),
    /** Name or ARN of a Secrets Manager secret holding the auth token (a plain string): the webhook function signs status callbacks with it. */
    authTokenSecret: z.string().min(1).optional(),
  })
  .refine((t) => t.authToken !== undefined || t.authTokenSha256 !== undefined, {
    message: 'a Twilio account needs authTokenSha256 (or a plaintext authToken, local configs only)',
    path: ['authTokenSha256'],
  });

export const TenantConfig = z.strictObject({
  id: Id,
  /** Plaintext API keys. Meant for local configs only: the app hashes them at synth, only hashes are deployed. */
  apiKeys: z.array(z.string().min(16, 'an API key must be at least 16 characters')).default([]),
  /** SHA-256 hex digests of API keys: the form to use for real deployments. */
  apiKeySha256: z.array(Sha256Hex).default([]),
  /** Default callback URL for this tenant's status events (per-message callbackUrl overrides it). */
  callbackUrl: z.url().optional(),
  /** Where this tenant's inbound messages are posted (message.inbound events, signed like status events; the same URL rules as callbackUrl). */
  inboundUrl: z.url().optional(),
  /**
   * Requests per second this tenant may make at the API (a batch is one request);
   * more in the same second are answered 429. Counted in one DynamoDB item per
   * second, which takes up to 1,000 writes per second.
   */
  rateLimitPerSecond: z.number().int().positive().max(1000, 'at most 1000 requests per second per tenant (one DynamoDB item counts them); send batches for more messages').default(50),
  /** The E.164 long codes and short codes the tenant sends from and receives on (inbound messages to them are the tenant's). */
  numbers: z.array(OwnedNumber).default([]),
  /** Opt-out keywords, replies and enforcement (README#opt-out). */
  optOut: OptOutConfig.prefault({}),
  /** The sender ids (alphanumeric or numbers) the tenant may use, besides its `numbers`; unset, any valid sender id. */
  senders: z.array(z.string().min(1).max(16)).optional(),
  /** The sender used when a message has no `from`. */
  defaultSender: z.string().min(1).max(16).optional(),
  /** Destination countries: `{ allow: [...] }` or `{ block: [...] }`; unset, every country a route reaches. */
  countries: CountriesConfig.optional(),
  /** SMS-pumping limits: messages per destination country and per number prefix, per hour. */
  pumping: PumpingConfig.optional(),
  /** Caps on segments and spend; past one the API answers 429 quota-exceeded. */
  quota: QuotaConfig.optional(),
  /** Promotional messages to a destination whose local time is in this window are deferred to its end (SCHEDULED, quiet_hours). */
  quietHours: QuietHoursConfig.optional(),
  /** The tenant's account on the Twilio-compatible API (README#twilio-compatible-api). */
  twilio: TwilioAccountConfig.optional(),
});

export const ReceiptIdFormat = z.enum(['as-is', 'hex', 'decimal']);
export const SplitMode = z.enum(['udh', 'sar', 'payload']);
export const BindMode = z.enum(['transceiver', 'transmitter-receiver']);

export const CarrierConfig = z
  .strictObject({
    id: Id,
    host: z.string().min(1),
    port: z.number().int().min(1).max(65535),
    tls: z.boolean().default(false),
    systemId: z.string().min(1).max(15, 'SMPP system_id is at most 15 characters'),
    /** Plaintext password: local configs only. Use passwordSecret for real deployments. */
    password: z.string().max(8, 'SMPP passwords are at most 8 characters').optional(),
    /** Name or ARN of a Secrets Manager secret holding the SMPP password. */
    passwordSecret: z.string().min(1).optional(),
    systemType: z.string().max(12).default(''),
    binds: z.number().int().min(1).max(32).default(1),
    bindMode: BindMode.default('transceiver'),
    /** Outstanding submit_sm per bind. */
    window: z.number().int().min(1).max(1000).default(10),
    /** Segments per second allowed by the carrier account (all binds together). */
    tps: z.number().positive().max(10000).default(10),
    /**
     * Milliseconds added to the one-second rate window: absorbs the jitter between our send
     * times and the SMSC's count (a busy host, a long path), at the cost of that fraction of tps.
     */
    rateMarginMs: z.number().int().min(0).max(500).default(15),
    receiptIdFormat: ReceiptIdFormat.default('as-is'),
    splitMode: SplitMode.default('udh'),
    enquireLinkSeconds: z.number().int().min(5).max(600).default(30),
    responseTimeoutSeconds: z.number().int().min(1).max(120).default(15),
    maxAttempts: z.number().int().min(1).max(20).default(5),
    /**
     * This carrier's reading of command_status values where it differs from the standard table,
     * e.g. { "0x00000045": "permanent" }: keys in hex or decimal, values retryable | permanent.
     */
    commandStatus: z.record(z.string(), z.enum(['retryable', 'permanent'])).default({}),
    /** When true, `npm run local` starts an SMSC simulator for this carrier. */
    simulated: z.boolean().default(false),
  })
  .refine((c) => c.password !== undefined || c.passwordSecret !== undefined, {
    message: 'a carrier needs password (local) or passwordSecret (Secrets Manager)',
    path: ['password'],
  });

export const RouteMatch = z.strictObject({
  /** E.164 prefixes with the leading "+", e.g. "+4477". */
  prefix: z.array(z.string().regex(/^\+[0-9]{1,15}$/, 'a prefix is "+" followed by digits')).optional(),
  /** ISO 3166-1 alpha-2 country codes, derived from the destination number. */
  country: z.array(z.string().regex(/^[A-Z]{2}$/, 'a country is an ISO 3166-1 alpha-2 code such as "GB"')).optional(),
  tenant: z.array(Id).optional(),
  sender: z.array(z.string().min(1)).optional(),
  type: z.array(z.enum(['transactional', 'promotional'])).optional(),
});

const WeightedCarrier = z.strictObject({ id: Id, weight: z.number().int().min(1).max(1000) });

export const RouteConfig = z.discriminatedUnion('kind', [
  z.strictObject({ id: Id, kind: z.literal('static'), match: RouteMatch.optional(), default: z.boolean().default(false), carrier: Id }),
  z.strictObject({ id: Id, kind: z.literal('weighted'), match: RouteMatch.optional(), default: z.boolean().default(false), carriers: z.array(WeightedCarrier).min(1) }),
  z.strictObject({ id: Id, kind: z.literal('failover'), match: RouteMatch.optional(), default: z.boolean().default(false), carriers: z.array(Id).min(1) }),
]);

/**
 * Availability zones the worker's VPC spans. Each holds at most one NAT gateway,
 * so at most this many Elastic IPs can be given to them.
 */
export const WORKER_VPC_AZS = 2;

/** An Elastic IP allocation id as EC2 prints it (8 or 17 hex digits). */
const EipAllocationId = z.string().regex(/^eipalloc-(?:[0-9a-f]{8}|[0-9a-f]{17})$/, 'must be an Elastic IP allocation id such as eipalloc-0123456789abcdef0 (aws ec2 describe-addresses)');

export const NetworkConfig = z
  .strictObject({
    /** NAT gateway for a static egress IP the carriers can whitelist. Off for emulators. */
    natGateway: z.boolean().default(true),
    /**
     * Existing Elastic IP allocations for the NAT gateways, one gateway per id (at
     * most one per availability zone). Without them each gateway gets an address
     * allocated by the stack, which a stack replacement loses.
     */
    eipAllocationIds: z
      .array(EipAllocationId)
      .min(1, 'give at least one allocation id, or leave the field out to let the stack allocate the address')
      .max(WORKER_VPC_AZS, `at most ${WORKER_VPC_AZS}: one NAT gateway, and so one Elastic IP, in each of the worker VPC's ${WORKER_VPC_AZS} availability zones`)
      .refine((ids) => new Set(ids).size === ids.length, 'an allocation id is listed twice; each NAT gateway needs an address of its own')
      .optional(),
  })
  .refine((n) => n.eipAllocationIds === undefined || n.natGateway, {
    message: 'needs natGateway: true; the Elastic IPs are the NAT gateways\' addresses (without a NAT gateway the worker has no fixed egress IP)',
    path: ['eipAllocationIds'],
  });

export const GatewayConfig = z.strictObject({
  /** Name of the CloudFormation stack. */
  stackName: z.string().regex(/^[A-Za-z][A-Za-z0-9-]{0,127}$/).default('SmsGateway'),
  /** How long finished message records are kept before DynamoDB TTL removes them. */
  retentionDays: z.number().int().min(1).max(3650).default(30),
  /**
   * Keep a message's text after every segment is submitted. Off by default: the text is removed with
   * SUBMITTED (data minimisation, and smaller items: the later writes of a message cost 1 WRU).
   */
  retainText: z.boolean().default(false),
  limits: z
    .strictObject({
      maxSegments: z.number().int().min(1).max(255).default(10),
      maxBatchSize: z.number().int().min(1).max(100).default(100),
      defaultValiditySeconds: z.number().int().min(60).max(7 * 86400).default(86400),
    })
    .prefault({}),
  lifecycle: z
    .strictObject({
      /** A SUBMITTED message with no final receipt this long after submission ends UNKNOWN. */
      receiptTimeoutSeconds: z.number().int().min(10).max(7 * 86400).default(172800),
      /** First retry delay after a transient failure; doubles per attempt (with jitter). */
      retryBaseSeconds: z.number().int().min(1).max(3600).default(30),
      /** Longest delay between attempts. */
      retryMaxSeconds: z.number().int().min(1).max(86400).default(900),
    })
    .prefault({}),
  health: z
    .strictObject({
      /** A carrier whose heartbeat is older than this is unhealthy (failover skips it). */
      staleAfterSeconds: z.number().int().min(5).max(3600).default(60),
    })
    .prefault({}),
  statusEvents: z
    .strictObject({
      /**
       * Which status changes are published to the status topic: `callbacks`, those of messages
       * with a callback URL (the message's or its tenant's), the only ones the webhooks use;
       * `all`, every one, when the topic has other subscribers (your own consumers of
       * StatusTopicArn, `smsgw tail`).
       */
      publish: z.enum(['callbacks', 'all']).default('callbacks'),
    })
    .prefault({}),
  network: NetworkConfig.prefault({}),
  worker: z
    .strictObject({
      /**
       * Fargate tasks of the SMPP worker. Two by default, in two availability zones: they share
       * each carrier's binds through bind leases, so the second stands by to take over the binds
       * of the first when it stops or its zone fails, and never adds binds of its own.
       */
      desiredCount: z.number().int().min(0).max(20).default(2),
      cpu: z.number().int().default(512),
      memoryMiB: z.number().int().default(1024),
      /** DEBUG adds a log line per message step (submission, receipt); INFO logs a summary per carrier every 10 s instead. */
      logLevel: z.enum(['INFO', 'DEBUG']).default('INFO'),
    })
    .prefault({}),
  operations: z
    .strictObject({
      /** Alarm notifications go to this address too (an SNS email subscription, confirmed by its owner). */
      alertEmail: z.email().optional(),
      /**
       * Create API Gateway's CloudWatch role and set it in the account's API Gateway
       * settings (kept when the stack is deleted). That is one setting per account and
       * region, shared by every API there: turn it on in one stack only, where no role is
       * set yet; the stage's logging cannot be deployed until one is (README#deploying-to-aws).
       */
      apiGatewayAccountRole: z.boolean().default(false),
      /** Oldest message on a carrier queue, in seconds, before its alarm fires. */
      queueAgeSeconds: z.number().int().min(60).max(86400).default(300),
      /** Lowest acceptable share of a carrier's finished messages that were delivered, over 15 minutes. */
      deliveryRatio: z.number().gt(0).lt(1).default(0.8),
      /** Finished messages a carrier needs in 15 minutes before its delivery ratio is judged. */
      deliveryRatioMinMessages: z.number().int().min(1).default(20),
      /** Throttling responses of a carrier per minute before its alarm fires. */
      throttlesPerMinute: z.number().int().min(1).default(50),
      /** API Gateway p99 latency (ms) before its alarm fires. */
      apiLatencyP99Ms: z.number().int().min(50).default(2000),
      /** Receipts without a known SMSC id, per carrier and 5 minutes, before its alarm fires. */
      unmatchedReceiptsPer5Min: z.number().int().min(1).default(10),
    })
    .prefault({}),
  tenants: z.array(TenantConfig).min(1, 'at least one tenant is needed'),
  carriers: z.array(CarrierConfig).default([]),
  routes: z.array(RouteConfig).default([]),
  /**
   * Take the number ranges reserved for drama and testing (Ofcom's +447700900000-999) as mobile
   * numbers: for local configs and test carriers (core/config/fictional-numbers.ts).
   */
  fictionalNumbers: z.boolean().default(false),
  /** Prices per segment, for each message's price, spend caps and /v1/usage. */
  prices: PricesConfig.optional(),
});

export type GatewayConfig = z.infer<typeof GatewayConfig>;
export type TenantConfig = z.infer<typeof TenantConfig>;
export type CarrierConfig = z.infer<typeof CarrierConfig>;
export type RouteConfig = z.infer<typeof RouteConfig>;
export type RouteMatch = z.infer<typeof RouteMatch>;
export type OperationsConfig = GatewayConfig['operations'];
export type NetworkConfig = z.infer<typeof NetworkConfig>;
export type OptOutConfig = z.infer<typeof OptOutConfig>;
export type PumpingConfig = z.infer<typeof PumpingConfig>;
export type QuotaConfig = z.infer<typeof QuotaConfig>;
export type CountriesConfig = z.infer<typeof CountriesConfig>;
export type PricesConfig = z.infer<typeof PricesConfig>;
export type TwilioAccountConfig = z.infer<typeof TwilioAccountConfig>;
