/**
 * API Gateway (REST, proxy integration) → MessagesApi. Parses the event, calls
 * the API, maps an unexpected failure to 503 (never a bare 5xx from bad input:
 * every input problem is a 4xx inside MessagesApi).
 */
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { MessagesApi } from '../../core/api/messages-api';
import { CarrierHealth } from '../../core/aws/carrier-health';
import { ApiEnv, readEnv } from '../../core/aws/env';
import { InboundStore } from '../../core/aws/inbound-store';
import { MessageList } from '../../core/aws/message-list';
import { MessageStore } from '../../core/aws/message-store';
import { DynamoPumpingCounter } from '../../core/aws/pumping-counter';
import { OptOutStore } from '../../core/aws/opt-out-store';
import { DynamoRequestCounter } from '../../core/aws/request-counter';
import { DynamoUsageCounter } from '../../core/aws/usage-counter';
import { runtimeConfig } from '../../core/config/runtime';
import { problemResponder, problemTypeName } from '../../core/http/problem';
import { isTwilioPath, TwilioApi } from '../../core/twilio/twilio-api';
import { TwilioCode, twilioError } from '../../core/twilio/errors';
import { createLogger, LogEvent } from '../../core/util/logger';
import { maskNumber } from '../../core/util/mask';
import { createMetrics, LambdaMetric, withMetrics } from '../../core/util/metrics';

const logger = createLogger('api');
const metrics = createMetrics('api');
const config = runtimeConfig();
const env = readEnv(ApiEnv);
const problem = problemResponder(env.API_URL);
const health = new CarrierHealth(env.TABLE_NAME, config.carriers.map((c) => c.id), config.health.staleAfterSeconds);
const api = new MessagesApi({
  config,
  apiUrl: env.API_URL,
  messages: new MessageStore(env.TABLE_NAME, config.retentionDays),
  list: new MessageList(env.TABLE_NAME),
  requests: new DynamoRequestCounter(env.TABLE_NAME),
  pumping: new DynamoPumpingCounter(env.TABLE_NAME),
  optOuts: new OptOutStore(env.TABLE_NAME),
  inbound: new InboundStore(env.TABLE_NAME),
  usage: new DynamoUsageCounter(env.TABLE_NAME),
  health: () => health.current(),
  onAccepted: (record, route) => {
    metrics.count(LambdaMetric.MessagesAccepted);
    metrics.count(LambdaMetric.SegmentsAccepted, record.segments);
    // First attempts are routed here, not by the router: they are counted where the routing is decided.
    if (route) {
      metrics.count(LambdaMetric.MessagesRouted, 1, { Carrier: route.carrierId });
      metrics.count(LambdaMetric.MessagesRouted, 1, { Route: route.routeId });
    }
  },
  onSuspectedPumping: (tenantId, country) => {
    metrics.count(LambdaMetric.SuspectedPumping, 1, { Tenant: tenantId, Country: country });
    metrics.count(LambdaMetric.SuspectedPumping);
  },
  onQuotaUsed: (tenantId, quota, percent) => metrics.count(LambdaMetric.QuotaUsed, percent, { Tenant: tenantId, Quota: quota }),
  log: (event, data, level = 'info') => logger[level](event, { ...data, ...(typeof data.to === 'string' ? { to: maskNumber(data.to) } : {}) }),
});

// The Twilio-compatible API (/2010-04-01/…): its own auth and shapes, the same pipeline as /v1.
const twilio = new TwilioApi(api, config.tenants, (event, data) => logger.info(event, data));

/** The problem type of an error response ("validation-failed", "unauthorized", …), else undefined. */
export function rejectionReason(response: APIGatewayProxyResult): string | undefined {
  if (response.statusCode < 400) return undefined;
  try {
    const { type, code } = JSON.parse(response.body) as { type?: unknown; code?: unknown };
    const name = typeof type === 'string' ? problemTypeName(type) : undefined;
    if (name) return name;
    // A Twilio-compatible error: its Twilio code.
    if (typeof code === 'number') return `twilio-${code}`;
  } catch {
    // not a problem document
  }
  return `http-${response.statusCode}`;
}

/** The path below the stage: REST proxy events carry it in `path` (LocalStack/MiniStack may keep the stage prefix). */
function pathOf(event: APIGatewayProxyEvent): string {
  const proxy = event.pathParameters?.proxy;
  if (proxy !== undefined) return `/${proxy}`;
  const stage = event.requestContext?.stage;
  return stage && event.path.startsWith(`/${stage}/`) ? event.path.slice(stage.length + 1) : event.path;
}

export const handler = withMetrics(metrics, async (event: APIGatewayProxyEvent): Promise<APIGatewayProxyResult> => {
  const response = await respond(event);
  const reason = rejectionReason(response);
  if (reason) metrics.count(LambdaMetric.RequestsRejected, 1, { Reason: reason });
  return response;
});

async function respond(event: APIGatewayProxyEvent): Promise<APIGatewayProxyResult> {
  try {
    const body = event.body && event.isBase64Encoded ? Buffer.from(event.body, 'base64').toString('utf8') : event.body;
    const request = { method: event.httpMethod, path: pathOf(event), headers: event.headers ?? {}, query: event.queryStringParameters ?? {}, body };
    return await (isTwilioPath(request.path) ? twilio.handle(request) : api.handle(request));
  } catch (err) {
    logger.error(LogEvent.UNEXPECTED_ERROR, { error: (err as Error).name, detail: (err as Error).message });
    if (isTwilioPath(pathOf(event))) return twilioError(503, TwilioCode.serviceUnavailable, 'the request could not be completed; retry it (with the same I-Twilio-Idempotency-Token)');
    return problem(503, 'service-unavailable', 'the request could not be completed; retry it (with the same Idempotency-Key)');
  }
}
