/**
 * Which senders a tenant may use (README#sender-ids-and-destinations): with `senders` set, `from`
 * must be one of them or one of the tenant's `numbers`; a message without `from` takes
 * `defaultSender`. A numeric sender is compared by its digits ("+447700900000" and
 * "447700900000" name one number: carriers take both forms of an MSISDN sender); an alphanumeric
 * one exactly, case included, since the handset shows it exactly as sent.
 */
import type { RuntimeTenant } from '../config/runtime';

/** One form of a sender for comparison: the digits of a number, an alphanumeric id as it is. */
function senderForm(sender: string): string {
  return /^\+?[0-9]+$/.test(sender) ? sender.replace(/^\+/, '') : sender;
}

/** The senders a tenant may use, compared by senderForm; undefined when any valid sender id is allowed. */
export function allowedSenders(tenant: Pick<RuntimeTenant, 'senders' | 'numbers'>): ReadonlySet<string> | undefined {
  if (tenant.senders === undefined) return undefined;
  return new Set([...tenant.senders, ...tenant.numbers].map(senderForm));
}

/**
 * The sender of a message: `from` as sent when the tenant allows it, the tenant's defaultSender
 * when `from` is left out (undefined without one), or the problem that refuses it.
 */
export function senderOf(from: string | undefined, tenant: Pick<RuntimeTenant, 'defaultSender'>, allowed: ReadonlySet<string> | undefined): { from: string | undefined } | { problem: string } {
  if (from === undefined) return { from: tenant.defaultSender };
  if (allowed === undefined || allowed.has(senderForm(from))) return { from };
  return { problem: 'from is not one of the tenant’s senders or numbers' };
}
