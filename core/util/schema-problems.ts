/**
 * How a failed schema parse is reported: one line naming each field and its
 * problem, e.g. `tableName: is missing; carrierQueueUrls.sim-a: must be a string`.
 * Used wherever configuration or input is validated, so every such error reads alike.
 */

/** An issue as zod (classic or mini) reports it. */
export interface SchemaIssue {
  readonly path: readonly PropertyKey[];
  readonly message: string;
}

/**
 * `field.path: problem; …`, with `(root)` for a problem of the value itself.
 * `under` names the value when it is a part of something larger (a variable holding JSON).
 *
 * @example describeIssues(issues) // 'raw.StatusTopicArn: must be a string'
 * @example describeIssues(issues, 'WEBHOOK_SECRET_ARNS') // 'WEBHOOK_SECRET_ARNS.acme: must be a string'
 */
export function describeIssues(issues: readonly SchemaIssue[], under?: string): string {
  const where = (path: readonly PropertyKey[]) => [under, ...path.map(String)].filter((p) => p !== undefined).join('.') || '(root)';
  return issues.map((i) => `${where(i.path)}: ${i.message}`).join('; ');
}

/**
 * The error parameter of a zod/mini schema: zod/mini loads no message texts (every
 * issue would read "Invalid input"), so a field says whether it is missing or what it must be.
 *
 * @example z.string(expecting('a string')) // missing: 'is missing'; 42: 'must be a string'
 */
export function expecting(what: string): { error: (issue: { input?: unknown }) => string } {
  return { error: (issue) => (issue.input === undefined ? 'is missing' : `must be ${what}`) };
}
