/**
 * SUBMITTED after the SMSC accepted a message, when its condition fails, decided
 * from the item the failed write returns: over a cancel or an expiry that came
 * meanwhile (the message was sent), as the same write retried, or not at all
 * (another submission of the attempt decided it). The table pipe is a stand-in
 * that answers each write as scripted; the plans are the real rule's.
 */
import { describe, expect, it, vi } from 'vitest';
import type { Write, WriteOutcome } from '../../core/aws/batch-writes';
import type { Mapping } from '../../core/aws/delivery-items';
import { MappingCache } from '../../core/aws/mapping-cache';
import { SubmittedWrites } from '../../core/aws/submitted-writes';
import { messageKey } from '../../core/aws/table-keys';
import { carrierEnvelope } from '../../core/domain/envelopes';
import type { MessageRecord, MessageStatus } from '../../core/domain/message';
import { planLateSubmission, planTransition } from '../../core/domain/transition';
import { messageRecord, NOW } from '../support/factories';

const at = NOW.toISOString();
const routed = messageRecord({ status: 'ROUTED', attempt: 1, carrierId: 'c-a', history: [{ status: 'ACCEPTED', at }, { status: 'ROUTED', at, attempt: 1 }] });
const envelope = carrierEnvelope(routed, 'c-a', 1);
const submission = { envelope, smscIds: ['4711'], keys: ['4711'], historyLength: routed.history.length };

/** The record as a failed condition returns it: the table item. */
const itemOf = (record: MessageRecord): WriteOutcome => ({ ok: false, conditionFailed: true, item: { ...messageKey(record.id), kind: 'MSG', ...record } });

/** SubmittedWrites over a pipe that answers the writes in turn with `answers`; what it was asked, and the mappings it cached. */
function submittedWrites(...answers: WriteOutcome[]) {
  const writes: Write[] = [];
  const cache = new MappingCache();
  const pipe = {
    write: async (group: Write[]) => {
      writes.push(...group);
      return group.map(() => answers.shift() ?? { ok: true });
    },
  };
  const messages = {
    plan: (to: MessageStatus, options = {}) => planTransition(to, options, 30),
    planLateSubmission: (current: MessageRecord, options: { expectedAttempt: number }) => planLateSubmission(current, options, 30),
    transition: vi.fn(),
  };
  const pending = { add: vi.fn(async () => undefined) };
  const store = new SubmittedWrites({ receiptTimeoutSeconds: 600, retainText: false }, pipe as never, messages, {} as never, cache, pending as never);
  const mapping = (): Mapping | undefined => cache.get('c-a', '4711');
  return { store, writes, mapping, messages };
}

describe('SUBMITTED after the SMSC accepted the message', () => {
  it('is recorded at the history length the worker read, and its receipt expected right after it', async () => {
    const w = submittedWrites({ ok: true });
    const submitted = await w.store.record(submission);
    expect(submitted).toEqual({ applied: true, settled: expect.any(Promise) });
    expect(w.writes).toEqual([expect.objectContaining({ kind: 'transition', historyLength: 2 })]);
    expect(w.mapping()).toMatchObject({ messageId: routed.id, attempt: 1, historyIndex: 3 });
  });

  it('over a cancel that came while the SMSC accepted it, is recorded over the cancel, cancel_too_late', async () => {
    // Prepare: the API canceled the message after the worker read it ROUTED.
    const canceled = { ...routed, status: 'CANCELED' as const, history: [...routed.history, { status: 'CANCELED' as const, at, reason: 'canceled_by_client' }] };
    const w = submittedWrites(itemOf(canceled), { ok: true });

    // Act
    const submitted = await w.store.record(submission);

    // Assess: the second write is SUBMITTED from CANCELED, appended after the cancel; receipts expected after that.
    expect(submitted).toEqual({ applied: true, replaced: 'CANCELED', settled: expect.any(Promise) });
    const late = w.writes[1] as Extract<Write, { kind: 'transition' }>;
    expect(late).toMatchObject({ historyLength: 3, plan: { from: ['CANCELED'], expectedAttempt: 1, change: { status: 'SUBMITTED', reason: 'cancel_too_late', carrierId: 'c-a' } } });
    expect(late.plan.set).toMatchObject({ smscIds: ['4711'], dueShard: expect.stringMatching(/^DUE#/) });
    expect(w.mapping()).toMatchObject({ historyIndex: 4 });
  });

  it('over an expiry by the sweeper that came while the SMSC accepted it, is recorded over it, expired_too_late', async () => {
    const expired = { ...routed, status: 'EXPIRED' as const, history: [...routed.history, { status: 'EXPIRED' as const, at, reason: 'validity_elapsed' }] };
    const w = submittedWrites(itemOf(expired), { ok: true });
    expect(await w.store.record(submission)).toMatchObject({ applied: true, replaced: 'EXPIRED' });
    expect(w.writes[1]).toMatchObject({ plan: { change: { reason: 'expired_too_late' } } });
  });

  it('that finds itself already written (a retried request) is applied, with its receipt after it', async () => {
    const written = { ...routed, status: 'SUBMITTED' as const, smscIds: ['4711'], history: [...routed.history, { status: 'SUBMITTED' as const, at, carrierId: 'c-a' }] };
    const w = submittedWrites(itemOf(written));
    expect(await w.store.record(submission)).toEqual({ applied: true, settled: expect.any(Promise) });
    expect(w.writes).toHaveLength(1);
    expect(w.mapping()).toMatchObject({ historyIndex: 3 });
  });

  it('over a cancel, when the write over it finds itself already written (a retried request), is applied over the cancel', async () => {
    const canceled = { ...routed, status: 'CANCELED' as const, history: [...routed.history, { status: 'CANCELED' as const, at }] };
    const over = { ...canceled, status: 'SUBMITTED' as const, smscIds: ['4711'], history: [...canceled.history, { status: 'SUBMITTED' as const, at, reason: 'cancel_too_late' }] };
    const w = submittedWrites(itemOf(canceled), itemOf(over));
    expect(await w.store.record(submission)).toEqual({ applied: true, replaced: 'CANCELED', settled: expect.any(Promise) });
    expect(w.mapping()).toMatchObject({ historyIndex: 4 });
  });

  it.each<[string, MessageRecord | undefined, MessageStatus | 'MISSING']>([
    ['another submission of the attempt recorded its own SMSC ids', { ...routed, status: 'SUBMITTED', smscIds: ['9999'] }, 'SUBMITTED'],
    ['another submission of the attempt failed it', { ...routed, status: 'FAILED' }, 'FAILED'],
    ['another submission of the attempt scheduled a retry', { ...routed, status: 'RETRYING' }, 'RETRYING'],
    ['it was canceled on another attempt', { ...routed, status: 'CANCELED', attempt: 2 }, 'CANCELED'],
    ['the record is gone', undefined, 'MISSING'],
  ])('is not recorded when %s, and maps nothing', async (_case, current, status) => {
    const w = submittedWrites(current ? itemOf(current) : { ok: false, conditionFailed: true, item: undefined });
    expect(await w.store.record(submission)).toEqual({ applied: false, current: status, settled: expect.any(Promise) });
    expect(w.writes).toHaveLength(1);
    expect(w.mapping()).toBeUndefined();
  });

  it('when only the history changed since the worker read it, lets the plain conditional write decide, and expects the receipt after SUBMITTED', async () => {
    const longer = { ...routed, history: [...routed.history, { status: 'ROUTED' as const, at }] };
    const w = submittedWrites(itemOf(longer));
    w.messages.transition.mockResolvedValue({ applied: true, record: { ...longer, status: 'SUBMITTED', history: [...longer.history, { status: 'SUBMITTED', at }] } });
    expect(await w.store.record(submission)).toEqual({ applied: true, settled: expect.any(Promise) });
    expect(w.mapping()).toMatchObject({ historyIndex: 4 });
  });
});
