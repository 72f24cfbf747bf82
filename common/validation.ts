/** How a failed zod validation is told: each issue as "path: message". */
import type { z } from 'zod';

type Issue = z.ZodError['issues'][number];

/** The dotted path of an issue; `root` when it is about the whole value. */
export const issuePath = (i: Pick<Issue, 'path'>, root = '(root)') => i.path.map(String).join('.') || root;

/** Every issue as { path, message }, e.g. for a 400 answer. */
export const issueList = (e: z.ZodError, root = '(root)') => e.issues.map((i) => ({ path: issuePath(i, root), message: i.message }));

/** The first `max` issues on one line: "a.b: Required; c: Expected number (+2 more)". */
export function formatIssues(e: z.ZodError, max = 5): string {
  const shown = e.issues.slice(0, max).map((i) => `${issuePath(i)}: ${i.message}`).join('; ');
  return e.issues.length > max ? `${shown} (+${e.issues.length - max} more)` : shown;
}
