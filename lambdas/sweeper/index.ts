/**
 * Scheduled every minute (EventBridge): acts on every overdue deadline. Can be
 * invoked by hand too (an empty event) — the tests do, instead of waiting.
 */
import { dynamo } from '../../core/aws/clients';
import { readEnv, SweeperEnv } from '../../core/aws/env';
import { MessageStore } from '../../core/aws/message-store';
import { IngestQueue } from '../../core/aws/queues';
import { Sweeper, type SweepResult } from '../../core/aws/sweeper';
import { runtimeConfig } from '../../core/config/runtime';
import { createLogger } from '../../core/util/logger';

const logger = createLogger('sweeper');
const env = readEnv(SweeperEnv);
const sweeper = new Sweeper(
  env.TABLE_NAME,
  'due',
  dynamo(),
  new MessageStore(env.TABLE_NAME, runtimeConfig().retentionDays),
  new IngestQueue(env.INGEST_QUEUE_URL),
  (event, data) => logger.info(event, data),
);

export const handler = async (): Promise<SweepResult> => {
  const result = await sweeper.sweep();
  logger.info('SWEEP_DONE', { ...result });
  return result;
};
