/**
 * Opt-out keywords and their replies. An inbound message is a keyword when its whole text is
 * one: STOP and its kin end a tenant's messages to the sender, START and its kin bring them
 * back, HELP and INFO ask what the messages are. Each gets a reply; the tenant may add
 * keywords and replace the replies (`tenants[].optOut`). Pure: the worker applies the result
 * (worker/keyword-handler.ts).
 *
 * Matching compares the letters and digits of the text, in order, after case and accent
 * folding: what people type around a keyword does not hide it. So "Stop", " stop ", "STOP!",
 * "Stop." and "¡Stop!" are STOP; "STOP ALL", "stop-all" are STOPALL; "opt out" is OPTOUT;
 * "Arrêt" matches a tenant keyword ARRET (and "ARRÊT" the same); "STOPP" is a keyword only if
 * the tenant adds it. A text with anything else in it ("stop it", "please stop", "STOP 2") is
 * no keyword: a message is an ordinary reply unless it is the keyword alone (CTIA; Twilio
 * likewise). Accents are the combining marks U+0300–U+036F that Latin, Greek and Cyrillic
 * letters decompose into; other scripts' marks are kept, and letters without case compare as
 * they are.
 */
import type { OptOutConfig } from '../config/schema';

export type KeywordKind = 'stop' | 'start' | 'help';

export const STANDARD_KEYWORDS: Readonly<Record<KeywordKind, readonly string[]>> = {
  stop: ['STOP', 'STOPALL', 'UNSUBSCRIBE', 'CANCEL', 'END', 'QUIT', 'OPTOUT', 'REVOKE'],
  start: ['START', 'UNSTOP', 'YES'],
  help: ['HELP', 'INFO'],
};

/** Longer texts are never a keyword (a tenant keyword has at most 30 characters): not worth folding. */
const MAX_KEYWORD_TEXT = 100;

/** The form keywords are compared in: letters and digits only, upper case, accents removed. */
export function keywordForm(text: string): string {
  return text
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toUpperCase()
    .replace(/[^\p{L}\p{N}\p{M}]/gu, '');
}

/** What a tenant's keyword settings add to the standard ones. */
export type KeywordSettings = Pick<OptOutConfig, 'stopKeywords' | 'startKeywords' | 'helpKeywords'>;

/**
 * The keyword a message's text is, or undefined. A word that is both a tenant's stop keyword and
 * a standard start or help keyword is a stop: stopping is what must never be missed.
 */
export function classifyKeyword(text: string, settings: KeywordSettings): KeywordKind | undefined {
  if (text.trim().length > MAX_KEYWORD_TEXT) return undefined;
  const form = keywordForm(text);
  if (form === '') return undefined;
  const own: Record<KeywordKind, readonly string[]> = { stop: settings.stopKeywords, start: settings.startKeywords, help: settings.helpKeywords };
  for (const kind of ['stop', 'start', 'help'] as const) {
    if ([...STANDARD_KEYWORDS[kind], ...own[kind]].some((k) => keywordForm(k) === form)) return kind;
  }
  return undefined;
}

/**
 * The default replies, short CTIA-style texts in GSM-7 that fit one segment: `name` is the
 * tenant id. With `optOut.scope: sender` the opt-out covers only the number written to, and the
 * texts say so.
 */
export function defaultReply(kind: KeywordKind, name: string, scope: OptOutConfig['scope']): string {
  const what = scope === 'sender' ? `${name} messages from this number` : `${name} messages`;
  switch (kind) {
    case 'stop':
      return `You are unsubscribed from ${what}. No more messages will be sent. Reply START to resubscribe.`;
    case 'start':
      return `You are resubscribed to ${what}. Reply STOP to unsubscribe.`;
    case 'help':
      return `These are ${what}. Msg&data rates may apply. Reply STOP to unsubscribe, START to resubscribe.`;
  }
}

/** The reply to a keyword: the tenant's own text (`optOut.replies`), or the default. */
export function keywordReply(kind: KeywordKind, tenant: { id: string; optOut: Pick<OptOutConfig, 'scope' | 'replies'> }): string {
  return tenant.optOut.replies[kind] ?? defaultReply(kind, tenant.id, tenant.optOut.scope);
}
