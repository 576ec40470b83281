// Every secret the step holds: the inputs and each minted token. Masking tells the runner to hide
// them in the log; redaction keeps them out of what the runner does not mask (summary, outputs), and
// out of service text before it is cut to length (untrusted.ts), where a cut would leave half of one.
import { redactFromServiceText } from './untrusted.js';

export class Secrets {
  private readonly values = new Set<string>();

  constructor(private mask: (value: string) => void) {}

  /** Masks values added from now on with `mask` (those already masked stay masked). */
  maskWith(mask: (value: string) => void): void {
    this.mask = mask;
  }

  add(value: string): void {
    if (!value || this.values.has(value)) return;
    this.values.add(value);
    redactFromServiceText(value);
    this.mask(value);
  }

  redact(text: string): string {
    let out = text;
    for (const value of this.values) out = out.replaceAll(value, '***');
    return out;
  }
}
