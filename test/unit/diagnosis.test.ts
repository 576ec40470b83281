// Why a run failed: the facts read from a run's answer, the advice for each error class Adobe
// documents, and whether another try could help.
import { describe, expect, it } from 'vitest';
import { parseRunAnswer, type Run } from '../../src/answers.ts';
import {
  adviceFor,
  adviceOf,
  adviceText,
  diagnosisLine,
  failedRecordsOf,
  isDataError,
  onlyDataErrors,
} from '../../src/diagnosis.ts';

const RUN_ID = '8a7c1e2f-0000-4000-8000-000000000001';

/** A run as the service answers a read: `{items: [run]}`. */
function runOf(body: Record<string, unknown>): Run {
  const text = JSON.stringify({ items: [{ id: RUN_ID, ...body }] });
  return parseRunAnswer({ status: 200, headers: {}, text }, 'the read');
}

function failedWith(...codes: string[]): Run {
  return runOf({
    metrics: { statusSummary: { status: 'failed', errors: codes.map((code) => ({ code, message: `${code} text` })) } },
  });
}

describe('what a run answer holds about its failure', () => {
  const run = runOf({
    metrics: {
      statusSummary: { status: 'failed', errors: [{ code: 'CONNECTOR-1001-500', message: 'Copy failed' }] },
      recordSummary: {
        inputRecordCount: 1000,
        failedRecordCount: 120,
        failedInfo: [{ code: 'INGEST-1212-400', message: 'Required field missing' }],
      },
      fileSummary: { inputFileCount: 3, failedFileCount: 1 },
    },
    activities: [
      {
        id: 'copyActivity',
        statusSummary: {
          // The run's error again, as Adobe often repeats it in the activity: told once.
          errors: [
            { code: 'CONNECTOR-1001-500', message: 'Copy failed' },
            { code: 'CONNECTOR-3001-500', message: 'Batch not created' },
          ],
          extensions: {
            errors: [{ code: 'MAPPER-3700-400', message: 'Bad DOB', recordCount: '12' }],
            manifest: {
              failedRecords: 'https://platform.adobe.io/data/foundation/export/batches/B1/meta?path=row_errors',
              sampleErrors: ['https://platform.adobe.io/data/foundation/export/batches/B1/meta?path=sample'],
              javascript: 'javascript:alert(1)',
              plain: 'http://evil.example.com/x',
              withUser: 'https://user:pw@platform.adobe.io/x',
              'bad name': 'https://platform.adobe.io/y',
            },
          },
        },
        recordSummary: { failedInfo: [{ code: 'INGEST-1212-400', message: 'Required field missing' }] },
        targetInfo: [{ reference: { ids: ['01HBATCH1', 'not an id', 42, '01HBATCH1'] } }, { reference: {} }],
      },
    ],
  });

  it("takes each activity's errors and extension errors, with their record counts, each once", () => {
    expect(run.errors).toEqual([
      { code: 'CONNECTOR-1001-500', message: 'Copy failed' },
      { code: 'CONNECTOR-3001-500', message: 'Batch not created' },
      { code: 'MAPPER-3700-400', message: 'Bad DOB', recordCount: 12 },
    ]);
  });

  it('takes failedInfo from the run and its activities, and tells each failed-record entry once', () => {
    expect(run.diagnostics.failedInfo).toHaveLength(2);
    expect(failedRecordsOf(run)).toEqual([{ code: 'INGEST-1212-400', message: 'Required field missing' }]);
  });

  it('takes batch IDs that are IDs, each once', () => {
    expect(run.diagnostics.batchIds).toEqual(['01HBATCH1']);
  });

  it('keeps only plain https sample links with a plain name', () => {
    expect(run.diagnostics.sampleLinks).toEqual([
      {
        name: 'failedRecords',
        url: 'https://platform.adobe.io/data/foundation/export/batches/B1/meta?path=row_errors',
      },
      { name: 'sampleErrors', url: 'https://platform.adobe.io/data/foundation/export/batches/B1/meta?path=sample' },
    ]);
  });

  it('puts every fact on one line for the annotation, with one piece of advice per class', () => {
    const line = diagnosisLine(run);
    expect(line).toContain('120 of 1000 records failed');
    expect(line).toContain('1 of 3 files failed');
    expect(line).toContain('failed records: INGEST-1212-400 Required field missing');
    expect(line).toContain('batches 01HBATCH1');
    expect(line).toContain('failedRecords: https://platform.adobe.io/data/foundation/export/batches/B1/');
    expect(line).toContain('sampleErrors: https://platform.adobe.io/');
    expect(line).toContain('CONNECTOR-1001-500 means copying from the source failed');
    expect(line).toContain('MAPPER-3700-400 and INGEST-1212-400 mean processing the data failed');
    expect(line).toContain('CONNECTOR-3001-500 means the batch could not be created');
    expect(line.match(/fails the same way/g)).toHaveLength(1);
    expect(line).not.toMatch(/[\r\n]/);
  });

  it('says nothing for a run that has nothing to say', () => {
    expect(diagnosisLine(runOf({ metrics: { statusSummary: { status: 'failed' } } }))).toBe('');
  });
});

describe('advice per documented error class', () => {
  it.each([
    ['CONNECTOR-1001-500', /source connection and its credentials; another try may succeed/],
    ['CONNECTOR-2001-500', /fix the data or the mapping; another try fails the same way/],
    ['MAPPER-3700-400', /fix the data or the mapping; another try fails the same way/],
    ['INGEST-1212-400', /fix the data or the mapping; another try fails the same way/],
    ['ingest-1212-400', /fix the data or the mapping/],
    ['CONNECTOR-3001-500', /batch could not be created in Platform/],
  ])('%s', (code, advice) => {
    expect(adviceFor(code)).toMatch(advice);
  });

  it.each(['CONNECTOR-9999-500', 'FLOW-1430-400', '', 'MAPPERX-1'])('none for %o', (code) => {
    expect(adviceFor(code)).toBeUndefined();
  });

  it('groups the codes of one class, and names them', () => {
    const groups = adviceOf(failedWith('MAPPER-1', 'CONNECTOR-9999-500', 'INGEST-2', 'MAPPER-1'));
    expect(groups).toHaveLength(1);
    expect(groups[0]!.codes).toEqual(['MAPPER-1', 'INGEST-2']);
    expect(adviceText(groups[0]!)).toMatch(/^MAPPER-1 and INGEST-2 mean processing the data failed/);
    expect(adviceText({ codes: ['A', 'B', 'C'], advice: 'x' })).toBe('A, B and C mean x');
  });

  it('gives none for a run whose codes are all unknown', () => {
    expect(adviceOf(failedWith('CONNECTOR-9999-500'))).toEqual([]);
    expect(diagnosisLine(failedWith('CONNECTOR-9999-500'))).toBe('');
  });
});

describe('whether another try could help', () => {
  it('knows the data errors', () => {
    expect(['CONNECTOR-2001-500', 'MAPPER-3700-400', 'INGEST-1212-400'].every(isDataError)).toBe(true);
    expect(['CONNECTOR-1001-500', 'CONNECTOR-3001-500', 'FLOW-1', ''].some(isDataError)).toBe(false);
  });

  it('is true only when every error the run names is a data error', () => {
    expect(onlyDataErrors(failedWith('CONNECTOR-2001-500', 'MAPPER-3700-400'))).toBe(true);
    expect(onlyDataErrors(failedWith('CONNECTOR-2001-500', 'CONNECTOR-1001-500'))).toBe(false);
    expect(onlyDataErrors(failedWith('CONNECTOR-9999-500'))).toBe(false);
    // A run that names no error at all: nothing says another try would fail.
    expect(onlyDataErrors(failedWith())).toBe(false);
  });

  it('counts the failed-record details too', () => {
    const run = runOf({
      metrics: {
        statusSummary: { status: 'failed' },
        recordSummary: { failedInfo: [{ code: 'INGEST-1212-400', message: 'x' }] },
      },
    });
    expect(onlyDataErrors(run)).toBe(true);
  });
});
