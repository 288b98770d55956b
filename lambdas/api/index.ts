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
import { MessageStore } from '../../core/aws/message-store';
import { DynamoPumpingCounter } from '../../core/aws/pumping-counter';
import { OptOutStore } from '../../core/aws/opt-out-store';
import { DynamoRequestCounter } from '../../core/aws/request-counter';
import { DynamoUsageCounter } from '../../core/aws/usage-counter';
import { runtimeConfig } from '../../core/config/runtime';
import { problemResponder, problemTypeName } from '../../core/http/problem';
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

/** The problem type of an error response ("validation-failed", "unauthorized", …), else undefined. */
export function rejectionReason(response: APIGatewayProxyResult): string | undefined {
  if (response.statusCode < 400) return undefined;
  try {
    const type: unknown = (JSON.parse(response.body) as { type?: unknown }).type;
    const name = typeof type === 'string' ? problemTypeName(type) : undefined;
    if (name) return name;
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
    return await api.handle({
      method: event.httpMethod,
      path: pathOf(event),
      headers: event.headers ?? {},
      query: event.queryStringParameters ?? {},
      body,
    });
  } catch (err) {
    logger.error(LogEvent.UNEXPECTED_ERROR, { error: (err as Error).name, detail: (err as Error).message });
    return problem(503, 'service-unavailable', 'the request could not be completed; retry it (with the same Idempotency-Key)');
  }
}
