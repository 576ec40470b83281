// Row errors counted without the records: hostile records and messages must leave nothing of the
// record (or anything personal-looking, or anything the runner or Markdown would act on) behind.
import { describe, expect, it } from 'vitest';
import { countRowErrors, scrubMessage, safeCode, Tally, wordsOf } from '../../src/row-errors.ts';

const row = (corrupt: string, code: unknown, message: unknown, extra: Record<string, unknown> = {}) => ({
  _corrupt_record: corrupt,
  _errors: [{ code, message }],
  _filename: 'parsing_errors_0.json',
  ...extra,
});

function tallyOf(...rows: unknown[]): Tally {
  const tally = new Tally();
  countRowErrors(rows.map((r) => JSON.stringify(r)).join('\n'), tally);
  return tally;
}

describe('scrubMessage', () => {
  it("keeps Adobe's documented message as it is", () => {
    const words = wordsOf(row("{missingQuotes: 'v1'}", '1401', ''));
    expect(scrubMessage('Row is corrupted and cannot be read, please fix and resend.', words)).toBe(
      'Row is corrupted and cannot be read, please fix and resend.',
    );
  });

  it('cuts a value of the record out of its message, quoted or not, whole or in part', () => {
    const record = row(
      '{"email": "jane.doe@example.com", "name": "Zebulon Quartermaine", "ssn": "078-05-1120"}',
      'X',
      '',
    );
    const words = wordsOf(record);
    const message = scrubMessage(
      'Field name has value Zebulon Quartermaine which jdQuartermaine42 does not match, ssn 078-05-1120, mail jane.doe',
      words,
    );
    expect(message).not.toMatch(/Zebulon|Quartermaine|078|1120|jane|\bdoe\b/i);
    // The corrupt record is JSON here: its keys are field names, not data, and stay.
    expect(message).toContain('Field name has value');
  });

  it('cuts quoted spans, and everything after a quote left open', () => {
    expect(scrubMessage("Value 'Secret Person' is not a date", wordsOf({}))).toBe('Value … is not a date');
    expect(scrubMessage('Value "Secret Person" is not a date', wordsOf({}))).toBe('Value … is not a date');
    expect(scrubMessage('Cannot parse `Secret Person`', wordsOf({}))).toBe('Cannot parse …');
    expect(scrubMessage('Value “Secret Person” is wrong', wordsOf({}))).toBe('Value … is wrong');
    expect(scrubMessage('Cannot parse "Secret Person, born 1970', wordsOf({}))).toBe('Cannot parse …');
    // An apostrophe inside a word is not a quote.
    expect(scrubMessage("The record's date can't be read", wordsOf({}))).toBe("The record's date can't be read");
  });

  it('cuts e-mail addresses, @mentions, URLs and long digit runs', () => {
    const message = scrubMessage(
      'Ping @octocat and @org/team: mail a.b@c.io about https://evil.example/x?q=1 and www.evil.example, card 4111111111111111',
      wordsOf({}),
    );
    expect(message).not.toMatch(/@|octocat|a\.b|c\.io|evil|https|www|4111/);
    expect(message).toContain('Ping … and …');
  });

  it('cuts HTML and folds workflow commands and lines', () => {
    const message = scrubMessage('bad <img src=x onerror=alert(1)> value\n::error::pwned\r\n##[warning]x', wordsOf({}));
    expect(message).not.toMatch(/<|>|img|\n|\r|::|##\[/);
    expect(message).toContain('bad');
  });

  it('keeps Markdown link text but never a URL (the renderer escapes the brackets)', () => {
    expect(scrubMessage('see [the docs](https://evil.example/phish) now', wordsOf({}))).toBe('see [the docs](… now');
  });

  it('withholds a message with nothing left but placeholders, and one of a record too large to check', () => {
    expect(scrubMessage('"John Smith"', wordsOf({}))).toBe('');
    expect(scrubMessage(42, wordsOf({}))).toBe('');
    const huge = { _corrupt_record: Array.from({ length: 25_000 }, (_, i) => `w${i}x`).join(' ') };
    expect(scrubMessage('Row is corrupted', wordsOf(huge))).toBe('');
  });

  it('caps a message at 160 characters', () => {
    expect(scrubMessage('word '.repeat(200), wordsOf({})).length).toBeLessThanOrEqual(160);
  });
});

describe('safeCode', () => {
  it("keeps a code in a code's form, and nothing else", () => {
    expect(safeCode('1401')).toBe('1401');
    expect(safeCode(1401)).toBe('1401');
    expect(safeCode('INGEST-1401-400')).toBe('INGEST-1401-400');
    expect(safeCode('::error::x')).toBe('');
    expect(safeCode('a b')).toBe('');
    expect(safeCode('jane@example.com')).toBe('');
    expect(safeCode({ code: 1 })).toBe('');
  });

  it('withholds a code that is a word of the record', () => {
    expect(safeCode('Quartermaine', wordsOf({ _corrupt_record: 'Zebulon Quartermaine' }))).toBe('');
  });
});

describe('countRowErrors', () => {
  it('counts records by code and scrubbed message, most frequent first, at most 10', () => {
    const rows = [
      ...Array.from({ length: 3 }, (_, i) => row(`{"n": "${i}"}`, '1401', 'Row is corrupted and cannot be read.')),
      // The same message once the record's own value is cut: one kind.
      row('{"name": "Alice Wonderland"}', '1402', "Value 'Alice Wonderland' is not a string"),
      row('{"name": "Bob Builder"}', '1402', "Value 'Bob Builder' is not a string"),
      ...Array.from({ length: 12 }, (_, i) => row('{}', `C${i}`, 'Other error')),
    ];
    const tally = tallyOf(...rows);
    expect(tally.rows).toBe(17);
    expect(tally.distinct).toBe(14);
    const top = tally.top(10);
    expect(top).toHaveLength(10);
    expect(top[0]).toEqual({ code: '1401', message: 'Row is corrupted and cannot be read.', count: 3 });
    expect(top[1]).toEqual({ code: '1402', message: 'Value … is not a string', count: 2 });
  });

  it('reads one JSON array, a pretty-printed object, and counts lines that are not row errors', () => {
    const array = new Tally();
    expect(countRowErrors(JSON.stringify([row('{}', '1', 'bad row'), row('{}', '1', 'bad row')]), array)).toBe(true);
    expect(array.top()).toEqual([{ code: '1', message: 'bad row', count: 2 }]);
    const pretty = new Tally();
    expect(countRowErrors(JSON.stringify(row('{}', '2', 'c d'), null, 2), pretty)).toBe(true);
    expect(pretty.rows).toBe(1);
    const mixed = new Tally();
    expect(countRowErrors(`${JSON.stringify(row('{}', '3', 'e f'))}\nnot json\n42\n`, mixed)).toBe(true);
    expect(mixed.rows).toBe(1);
    expect(mixed.unreadable).toBe(2);
    expect(countRowErrors('<html>gateway error</html>', new Tally())).toBe(false);
  });

  it('never lets the record through, whatever the record and messages hold', () => {
    const secretish = ['Zebulon', 'Quartermaine', 'zq@example.com', '555-0199-7788', 'Elm Street 42'];
    const hostile = row(
      JSON.stringify({
        name: 'Zebulon Quartermaine',
        email: 'zq@example.com',
        phone: '555-0199-7788',
        street: 'Elm Street 42',
      }),
      '::error::Zebulon',
      'Quartermaine ::error::zq@example.com <b>Elm Street 42</b> [click](http://x) @admin 555-0199-7788',
      { profile: { nested: ['Zebulon'] } },
    );
    const top = tallyOf(hostile).top();
    const text = JSON.stringify(top);
    for (const s of secretish) expect(text).not.toContain(s);
    expect(text).not.toMatch(/::error::|@admin|<b>|http/);
    expect(top[0]!.code).toBe('');
  });
});
