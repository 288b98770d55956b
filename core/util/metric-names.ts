/**
 * Metric names (and the worker's publishing interval), shared by the code that
 * emits them (Lambdas through EMF, the SMPP worker through PutMetricData), the
 * alarms and dashboard in lib/constructs/operations.ts, and README#operations.
 * No imports: the CDK app, the Lambdas and the worker all read this file.
 */
export const METRICS_NAMESPACE = 'SmsGateway';

/** Dimension names. A metric is emitted with exactly one of them, or none; SuspectedPumping with Tenant and Country together, QuotaUsed with Tenant and Quota. */
export const MetricDimension = {
  Carrier: 'Carrier',
  Reason: 'Reason',
  Route: 'Route',
  Tenant: 'Tenant',
  Country: 'Country',
  Quota: 'Quota',
} as const;
export type MetricDimension = (typeof MetricDimension)[keyof typeof MetricDimension];

/** Emitted by the Lambdas (embedded metric format). */
export const LambdaMetric = {
  /** API: messages stored ACCEPTED (no dimension). */
  MessagesAccepted: 'MessagesAccepted',
  /** API: segments of the accepted messages (no dimension). */
  SegmentsAccepted: 'SegmentsAccepted',
  /** API: requests answered with a problem, by Reason (the problem type: validation-failed, unauthorized, …). */
  RequestsRejected: 'RequestsRejected',
  /**
   * API: messages refused over a pumping limit (suspected-pumping), by Tenant and Country (the
   * destination's, 001 for non-geographic numbers) together, and with no dimension for the alarm.
   */
  SuspectedPumping: 'SuspectedPumping',
  /** Router: messages handed to a carrier queue, by Carrier and by Route. */
  MessagesRouted: 'MessagesRouted',
  /** Router: messages that ended REJECTED, by Reason (no_route). */
  MessagesRejected: 'MessagesRejected',
  /**
   * API: percent of a tenant's cap used after the request was counted, by Tenant and Quota
   * (segmentsPerDay, segmentsPerMonth, spendPerMonth); one value per request (one request per invocation).
   */
  QuotaUsed: 'QuotaUsed',
} as const;

/**
 * How often each worker task publishes its metrics (PutMetricData, worker/metrics.ts). A gauge
 * such as BindsUp gets one sample per task per interval, so the dashboard adds the tasks' binds
 * up as the minute's Sum divided by the samples one task sends in a minute.
 */
export const WORKER_METRICS_INTERVAL_MS = 10_000;

/** Emitted by the SMPP worker, per Carrier. */
export const WorkerMetric = {
  /** Messages accepted by the SMSC (every segment answered with a message id). */
  Submitted: 'Submitted',
  /** Messages whose final receipts made them DELIVERED. */
  Delivered: 'Delivered',
  /** Messages whose final receipts made them UNDELIVERED or EXPIRED. */
  Undelivered: 'Undelivered',
  /** Messages that ended FAILED at submission (a permanent SMSC error, or the attempts ran out). */
  Failed: 'Failed',
  /** submit_sm answered with a throttling status (ESME_RTHROTTLED, ESME_RMSGQFUL). */
  Throttled: 'Throttled',
  /** New attempts scheduled after a transient failure or an unknown outcome. */
  Retries: 'Retries',
  /** Gauge: binds able to submit, sampled every flush (per task). */
  BindsUp: 'BindsUp',
  /** Gauge: submit_sm outstanding across the binds, sampled every flush (per task). */
  WindowInUse: 'WindowInUse',
  /** Milliseconds from the message's acceptance by the API to the SMSC's submit_sm_resp. */
  SubmitLatency: 'SubmitLatency',
  /** Milliseconds from submission to the receipt that made the message final. */
  ReceiptLatency: 'ReceiptLatency',
  /** Receipts with no known SMSC id when they arrived (held until the id is known). */
  UnmatchedReceipts: 'UnmatchedReceipts',
  /** Messages the SMSC accepted after a cancel or an expiry made them final meanwhile: recorded SUBMITTED over it (cancel_too_late, expired_too_late). */
  LateSubmissions: 'LateSubmissions',
  /** Messages the SMSC accepted whose record another submission of the attempt had decided: not recorded (a duplicate submission). */
  UnrecordedSubmissions: 'UnrecordedSubmissions',
  /** Bind leases taken over after their holder let them expire (it crashed, or lost the table), not released. */
  LeaseTakeovers: 'LeaseTakeovers',
  /** Inbound messages to a number no tenant owns (tenants[].numbers): recorded without a tenant, log INBOUND_UNOWNED. */
  InboundUnowned: 'InboundUnowned',
} as const;
export type WorkerCounter = Exclude<(typeof WorkerMetric)[keyof typeof WorkerMetric], 'BindsUp' | 'WindowInUse' | 'SubmitLatency' | 'ReceiptLatency'>;
export type WorkerGauge = 'BindsUp' | 'WindowInUse';
export type WorkerTiming = 'SubmitLatency' | 'ReceiptLatency';
