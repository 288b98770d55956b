/**
 * A tenant's own rules on a valid submission, after the schema and before anything is counted or
 * stored: its senders (sender-rules.ts), then its destinations (destination-rules.ts). Each refusal
 * names its problem type and the failing field, so that a single request answers it as a 422 and
 * a batch reports it in the item's result.
 */
import type { RuntimeTenant } from '../config/runtime';
import { destinationProblem } from './destination-rules';
import { allowedSenders, senderOf } from './sender-rules';
import type { FieldProblem, ValidSubmission } from './submission';

export type TenantRuleType = 'sender-not-allowed' | 'destination-not-allowed';

export type TenantRuleResult = { ok: true; value: ValidSubmission } | { ok: false; type: TenantRuleType; problems: FieldProblem[] };

/** A tenant's rules, prepared once per tenant (the allowed senders as a set). */
export class TenantRules {
  private readonly allowed: ReadonlySet<string> | undefined;

  constructor(private readonly tenant: RuntimeTenant) {
    this.allowed = allowedSenders(tenant);
  }

  /** The submission with its sender (defaultSender filled in), or the refusal; `prefix` as validateSubmission's ("messages[2]"). */
  apply(v: ValidSubmission, prefix = ''): TenantRuleResult {
    const field = (name: string) => (prefix ? `${prefix}.${name}` : name);
    const sender = senderOf(v.from, this.tenant, this.allowed);
    if ('problem' in sender) return { ok: false, type: 'sender-not-allowed', problems: [{ field: field('from'), problem: sender.problem }] };
    const destination = destinationProblem(v, this.tenant);
    if (destination !== undefined) return { ok: false, type: 'destination-not-allowed', problems: [{ field: field('to'), problem: destination }] };
    const { numberType: _refusedNone, from: _asSent, ...rest } = v;
    return { ok: true, value: { ...rest, ...(sender.from !== undefined ? { from: sender.from } : {}) } };
  }
}
