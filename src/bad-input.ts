// The job summary of a step that stopped at its inputs, for both entries. On the fail-fast path: it
// imports nothing but the Markdown escaping, so that bad input loads no more than it needs.
import { esc } from './markdown.js';

/** Markdown for a step that stopped at its inputs: each bad input, and that nothing was sent. */
export function renderBadInput(
  problems: string[],
  words = { title: 'No flow run was started', sentTo: 'Adobe' },
): string {
  return [
    `### ❌ ${words.title}: the inputs are not right`,
    '',
    ...problems.map((p) => `- ${esc(p)}`),
    '',
    `Nothing was sent to ${words.sentTo}. Correct the inputs in the workflow file and run it again.`,
    '',
  ].join('\n');
}
