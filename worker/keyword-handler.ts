/**
 * What the worker does with an inbound message to a tenant's number whose text is an opt-out
 * keyword (core/domain/opt-out-keywords.ts): a stop keyword records the tenant's opt-out of the
 * sender, a start keyword removes it, help changes nothing; and each gets its reply, an
 * ordinary message record stored ACCEPTED from the number the keyword was sent to. The table
 * stream takes the reply through the outbox and the router to a carrier like any other message,
 * so it shows in the API and the status events. It is written here, not through the API, so the
 * opt-out it confirms does not refuse it.
 *
 * Both writes are done before the inbound message is published and its deliver_sm answered
 * (inbound-handler.ts): a failure leaves the deliver_sm unanswered, the SMSC sends it again,
 * and the second pass changes nothing that the first did (the opt-out store's conditional
 * writes) and stores the reply under the same id (derived from the inbound id), once.
 *
 * @example
 *   const keywords = new KeywordHandler({ optOuts, messages, replyValiditySeconds: 86_400 });
 *   await keywords.handle(message, owners.ownerOf(message.to)!); // { kind: 'stop', changed: true, replyId }
 */
import type { InboundMessage } from '../core/aws/inbound-store';
import type { MessageStore } from '../core/aws/message-store';
import type { OptOutStore } from '../core/aws/opt-out-store';
import { analyzeText } from '../core/domain/encoding';
import { messageId } from '../core/domain/idempotency';
import type { MessageRecord } from '../core/domain/message';
import type { InboundTenant, Owner } from '../core/domain/number-ownership';
import { classifyKeyword, keywordReply, type KeywordKind } from '../core/domain/opt-out-keywords';
import { parseNumber } from '../core/domain/phone-numbers';
import { priceOf } from '../core/domain/prices';
import type { PricesConfig } from '../core/config/schema';

export interface KeywordHandlerDeps {
  optOuts: Pick<OptOutStore, 'optOut' | 'remove'>;
  messages: Pick<MessageStore, 'create'>;
  /** How long a reply may wait for a carrier (the config's limits.defaultValiditySeconds). */
  replyValiditySeconds: number;
  /** The config's price table: a reply is priced as the API prices a message it could not route at acceptance, by its country. */
  prices?: PricesConfig | undefined;
  now?: () => Date;
}

export type KeywordOutcome =
  /** `changed`: the opt-out was recorded or removed now (false for a repeated STOP, a START without an opt-out, and HELP). */
  | { kind: KeywordKind; changed: boolean; replyId: string }
  /** The sender is no international number: nothing to opt out, nowhere to reply. */
  | { kind: KeywordKind; notApplied: 'sender_not_international' };

/**
 * The sender as E.164 with "+", or undefined. The worker writes "+" for an international
 * address (TON 1); "00" is the international prefix. Any other form is national or an
 * alphanumeric id: its country is unknown, so it matches no message's `to`.
 */
export function internationalNumber(from: string): string | undefined {
  const compact = from.trim().replace(/[\s().-]/g, '');
  const e164 = compact.startsWith('00') ? `+${compact.slice(2)}` : compact;
  return /^\+[1-9][0-9]{6,14}$/.test(e164) ? e164 : undefined;
}

/** The id of the reply to an inbound message: the same for the same inbound id, so a second pass stores nothing new. */
export function replyId(tenantId: string, inboundId: string): string {
  return messageId(tenantId, `keyword-reply:${inboundId}`);
}

/** A reply as the API would store it: ACCEPTED, attempt 0, transactional, for the router to route. */
export function replyRecord(r: { id: string; tenantId: string; from: string; to: string; text: string; now: Date; validitySeconds: number; prices?: PricesConfig | undefined }): MessageRecord {
  const at = r.now.toISOString();
  const { encoding, segments } = analyzeText(r.text);
  const country = parseNumber(r.to)?.country;
  const price = priceOf(r.prices, { segments, ...(country !== undefined ? { country } : {}) });
  return {
    id: r.id,
    tenantId: r.tenantId,
    status: 'ACCEPTED',
    to: r.to,
    ...(country !== undefined ? { country } : {}),
    from: r.from,
    text: r.text,
    type: 'transactional',
    encoding,
    segments,
    ...(price ?? {}),
    validUntil: new Date(r.now.getTime() + r.validitySeconds * 1000).toISOString(),
    createdAt: at,
    updatedAt: at,
    attempt: 0,
    history: [{ status: 'ACCEPTED', at }],
  };
}

export class KeywordHandler {
  constructor(private readonly deps: KeywordHandlerDeps) {}

  /** Applies the keyword a message is, and stores its reply; undefined when the text is no keyword. Resolves once both are durable. */
  async handle(message: InboundMessage, owner: Owner<InboundTenant>): Promise<KeywordOutcome | undefined> {
    const { tenant, number } = owner;
    const kind = classifyKeyword(message.text, tenant.optOut);
    if (kind === undefined) return undefined;
    const sender = internationalNumber(message.from);
    if (sender === undefined) return { kind, notApplied: 'sender_not_international' };
    const now = (this.deps.now ?? (() => new Date()))();
    // With scope sender, the opt-out covers the number written to, as the config writes it (a message's `from`).
    const scope = { number: sender, ...(tenant.optOut.scope === 'sender' ? { sender: number } : {}) };
    let changed = false;
    if (kind === 'stop') changed = (await this.deps.optOuts.optOut(tenant.id, { ...scope, source: 'keyword', keyword: message.text.trim(), at: now })).created;
    if (kind === 'start') changed = (await this.deps.optOuts.remove(tenant.id, { ...scope, at: now })).removed;
    const id = replyId(tenant.id, message.id);
    await this.deps.messages.create(replyRecord({ id, tenantId: tenant.id, from: number, to: sender, text: keywordReply(kind, tenant), now, validitySeconds: this.deps.replyValiditySeconds, prices: this.deps.prices }));
    return { kind, changed, replyId: id };
  }
}
