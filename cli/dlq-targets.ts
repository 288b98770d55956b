/**
 * The stack's dead-letter queues as smsgw names them (ingest, carrier:<id>,
 * webhooks, outbox-failures), each with the queue its messages came from.
 */
import * as z from 'zod/mini';
import type { PartialLocalOutputs } from '../core/config/local-outputs';
import { UsageError } from './command-line';

export interface DlqTarget {
  /** How the CLI names it: ingest, webhooks, outbox-failures, carrier:<id>. */
  name: string;
  url: string;
  /** The queue its messages came from; undefined when there is none to go back to (outbox failures). */
  sourceUrl: string | undefined;
}

/** Every dead-letter queue of the stack, from its outputs, in a stable order. */
export function dlqTargets(outputs: PartialLocalOutputs): DlqTarget[] {
  const raw = outputs.raw ?? {};
  const targets: DlqTarget[] = [];
  const ingestDlq = outputs.ingestDlqUrl ?? raw.IngestDlqUrl;
  if (ingestDlq) targets.push({ name: 'ingest', url: ingestDlq, sourceUrl: outputs.ingestQueueUrl ?? raw.IngestQueueUrl });
  const carrierDlqs = outputs.carrierDlqUrls ?? jsonRecord(raw.CarrierDlqUrls);
  const carrierQueues = outputs.carrierQueueUrls ?? jsonRecord(raw.CarrierQueueUrls);
  for (const id of Object.keys(carrierDlqs).sort()) targets.push({ name: `carrier:${id}`, url: carrierDlqs[id]!, sourceUrl: carrierQueues[id] });
  if (raw.WebhookDlqUrl) targets.push({ name: 'webhooks', url: raw.WebhookDlqUrl, sourceUrl: raw.WebhookQueueUrl });
  // Stream records the outbox could not relay: Lambda failure records, not queue messages; replaying means re-reading the stream.
  if (raw.OutboxFailuresQueueUrl) targets.push({ name: 'outbox-failures', url: raw.OutboxFailuresQueueUrl, sourceUrl: undefined });
  return targets;
}

function jsonRecord(text: string | undefined): Record<string, string> {
  if (!text) return {};
  const parsed = z.record(z.string(), z.string()).safeParse(JSON.parse(text));
  return parsed.success ? parsed.data : {};
}

/** Finds a DLQ by its CLI name; a bare carrier id works too when no other queue has that name. */
export function findDlq(targets: readonly DlqTarget[], name: string): DlqTarget {
  const found = targets.find((t) => t.name === name) ?? targets.find((t) => t.name === `carrier:${name}`);
  if (!found) throw new UsageError(`no dead-letter queue '${name}'; the stack has: ${targets.map((t) => t.name).join(', ')}`);
  return found;
}

/** Last path segment of a queue URL. */
export function queueName(url: string): string {
  return url.slice(url.lastIndexOf('/') + 1);
}
