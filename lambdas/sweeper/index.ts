/**
 * Scheduled every minute (EventBridge): acts on every overdue deadline. Can be
 * invoked by hand too (an empty event) — the tests do, instead of waiting.
 */
import { optOutsStopping } from '../../core/api/opt-out-check';
import { dynamo } from '../../core/aws/clients';
import { readEnv, SweeperEnv } from '../../core/aws/env';
import { MessageStore } from '../../core/aws/message-store';
import { OptOutStore } from '../../core/aws/opt-out-store';
import { IngestQueue } from '../../core/aws/queues';
import { Sweeper, type SweepResult } from '../../core/aws/sweeper';
import { runtimeConfig } from '../../core/config/runtime';
import { createLogger } from '../../core/util/logger';

const logger = createLogger('sweeper');
const env = readEnv(SweeperEnv);
const config = runtimeConfig();
const tenants = new Map(config.tenants.map((t) => [t.id, t]));
const optOuts = new OptOutStore(env.TABLE_NAME);
const sweeper = new Sweeper(
  env.TABLE_NAME,
  'due',
  dynamo(),
  new MessageStore(env.TABLE_NAME, config.retentionDays),
  new IngestQueue(env.INGEST_QUEUE_URL),
  (event, data) => logger.info(event, data),
  // A scheduled message is checked against the opt-outs again when it is due: by the same rule as at acceptance.
  async (message) => {
    const tenant = tenants.get(message.tenantId);
    return tenant !== undefined && (await optOutsStopping(optOuts, tenant, [message]))[0] !== undefined;
  },
);

export const handler = async (): Promise<SweepResult> => {
  const result = await sweeper.sweep();
  logger.info('SWEEP_DONE', { ...result });
  return result;
};
