/**
 * Opt-out keywords (core/domain/opt-out-keywords.ts): a text is a keyword when it is one alone,
 * whatever its case, the spaces and punctuation around it and its accents; tenants add their
 * own; and each keyword has a short reply, the tenant's or the default.
 */
import { describe, expect, it } from 'vitest';
import { OptOutConfig } from '../../core/config/schema';
import { analyzeText } from '../../core/domain/encoding';
import { classifyKeyword, defaultReply, keywordReply, STANDARD_KEYWORDS } from '../../core/domain/opt-out-keywords';

const standard = OptOutConfig.parse({});
const french = OptOutConfig.parse({ stopKeywords: ['ARRÊT', 'STOPP'], startKeywords: ['Oui'], helpKeywords: ['AIDE'] });

describe('a keyword', () => {
  it.each(Object.entries(STANDARD_KEYWORDS).flatMap(([kind, words]) => words.map((w) => [w, kind])))('%s is a %s keyword', (word, kind) => {
    expect(classifyKeyword(word, standard)).toBe(kind);
  });

  it.each([['stop'], ['Stop'], ['sToP'], ['  STOP  '], ['\tstop\n'], ['STOP.'], ['Stop!'], ['stop!!!'], ['¡Stop!'], ['"STOP"'], ['STOP 🛑'], ['STOP ALL'], ['stop-all'], ['opt out'], ['Opt-Out'], ['S.T.O.P']])(
    '%j is STOP whatever its case, spaces and punctuation',
    (text) => {
      expect(classifyKeyword(text, standard)).toBe('stop');
    },
  );

  it.each([['stop it'], ['please stop'], ['STOP 2'], ['stopped'], ['Stop sending me these'], ['yes please'], ['help me'], [''], ['   '], ['?!'], ['🛑']])('%j is no keyword: there is more, or nothing, in it', (text) => {
    expect(classifyKeyword(text, standard)).toBeUndefined();
  });

  it('of a tenant counts only for that tenant', () => {
    expect(classifyKeyword('STOPP', french)).toBe('stop');
    expect(classifyKeyword('STOPP', standard)).toBeUndefined();
  });

  it.each([['arrêt'], ['ARRÊT'], ['Arret'], ['ARRET!'], ['arre\u0302t']])('%j matches the tenant keyword ARRÊT, with or without its accent', (text) => {
    expect(classifyKeyword(text, french)).toBe('stop');
  });

  it('of a tenant is a start or help keyword as the tenant lists it', () => {
    expect(classifyKeyword('oui', french)).toBe('start');
    expect(classifyKeyword('Aide ?', french)).toBe('help');
    expect(classifyKeyword('START', french)).toBe('start');
  });

  it('in another script compares in its own case folding, its marks kept', () => {
    const russian = OptOutConfig.parse({ stopKeywords: ['СТОП'], helpKeywords: ['ПОМОЩЬ'] });
    const hindi = OptOutConfig.parse({ stopKeywords: ['रोको'] });
    expect(classifyKeyword('стоп', russian)).toBe('stop');
    expect(classifyKeyword('Помощь!', russian)).toBe('help');
    expect(classifyKeyword('रोको', hindi)).toBe('stop');
    expect(classifyKeyword('रोक', hindi)).toBeUndefined();
  });

  it('that a tenant lists as stop but the standard lists as start is a stop: a stop is never missed', () => {
    expect(classifyKeyword('YES', OptOutConfig.parse({ stopKeywords: ['YES'] }))).toBe('stop');
  });

  it('is never found in a long text', () => {
    expect(classifyKeyword(`STOP${' '.repeat(200)}`, standard)).toBe('stop');
    expect(classifyKeyword(`S${' '.repeat(200)}TOP`, standard)).toBeUndefined();
  });
});

describe('the reply to a keyword', () => {
  it.each(['stop', 'start', 'help'] as const)('to %s by default names the tenant, is GSM-7 and fits one segment even for the longest tenant id', (kind) => {
    const longest = 'a'.repeat(40);
    for (const scope of ['tenant', 'sender'] as const) {
      const analysis = analyzeText(defaultReply(kind, longest, scope));
      expect(analysis).toMatchObject({ encoding: 'GSM7', segments: 1 });
    }
    expect(defaultReply(kind, 'acme', 'tenant')).toContain('acme');
  });

  it('says what to reply next: START after a stop, STOP after a start or help', () => {
    expect(defaultReply('stop', 'acme', 'tenant')).toBe('You are unsubscribed from acme messages. No more messages will be sent. Reply START to resubscribe.');
    expect(defaultReply('start', 'acme', 'tenant')).toBe('You are resubscribed to acme messages. Reply STOP to unsubscribe.');
    expect(defaultReply('help', 'acme', 'tenant')).toBe('These are acme messages. Msg&data rates may apply. Reply STOP to unsubscribe, START to resubscribe.');
  });

  it('with scope sender says that only this number’s messages stop', () => {
    expect(defaultReply('stop', 'acme', 'sender')).toBe('You are unsubscribed from acme messages from this number. No more messages will be sent. Reply START to resubscribe.');
  });

  it('is the tenant’s own text where it sets one, the default for the others', () => {
    const optOut = OptOutConfig.parse({ replies: { help: 'Acme Bank: help at acme.example/sms or 0800 000 000. Reply STOP to unsubscribe.' } });
    expect(keywordReply('help', { id: 'acme', optOut })).toBe('Acme Bank: help at acme.example/sms or 0800 000 000. Reply STOP to unsubscribe.');
    expect(keywordReply('stop', { id: 'acme', optOut })).toBe(defaultReply('stop', 'acme', 'tenant'));
  });
});
