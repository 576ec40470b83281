// The outputs a step wrote, as later steps see them: shared by the developer tools that print them
// (`npm run local-action`, `npm run demo`).

/**
 * The outputs in a GITHUB_OUTPUT file as the runner reads them: `name=value` lines and
 * `name<<DELIMITER` ... `DELIMITER` blocks; a name set twice keeps its first place and its last value.
 */
export function readOutputs(text: string): Map<string, string> {
  const outputs = new Map<string, string>();
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    const equals = line.indexOf('=');
    const heredoc = line.indexOf('<<');
    if (heredoc > 0 && (equals === -1 || heredoc < equals)) {
      const end = lines.indexOf(line.slice(heredoc + 2), i + 1);
      if (end === -1) throw new Error(`GITHUB_OUTPUT: no closing delimiter for '${line.slice(0, heredoc)}'`);
      outputs.set(line.slice(0, heredoc), lines.slice(i + 1, end).join('\n'));
      i = end;
    } else if (equals > 0) {
      outputs.set(line.slice(0, equals), line.slice(equals + 1));
    }
  }
  return outputs;
}

/** `name=value`; a multi-line value goes on the lines below its name, indented. */
export function formatOutput(name: string, value: string): string {
  if (!value.includes('\n')) return `${name}=${value}`;
  return `${name}=\n${value
    .split('\n')
    .map((line) => `  ${line}`)
    .join('\n')}`;
}
