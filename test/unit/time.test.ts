import { describe, expect, it } from 'vitest';
import { formatDuration, parseDuration, parseTime } from '../../src/time.ts';

const NOW = Date.UTC(2026, 10, 23, 12, 0, 0);

describe('parseTime', () => {
  it.each([
    ['1700000000', 1700000000],
    [' 1700000000 ', 1700000000],
    ['2023-11-14T22:13:20Z', 1700000000],
    ['2023-11-14T22:13:20.999Z', 1700000000],
    ['2023-11-15T00:13:20+02:00', 1700000000],
    ['2023-11-14T17:13:20-0500', 1700000000],
    ['2023-11-14t22:13:20z', 1700000000],
    ['2023-11-14T22:13Z', 1699999980],
    ['2024-02-29T00:00:00Z', 1709164800],
    ['now', NOW / 1000],
    ['NOW', NOW / 1000],
  ])('%s is %d', (text, seconds) => {
    expect(parseTime(text, NOW)).toBe(seconds);
  });

  it.each([
    ['16515859567', /out of range/],
    ['1700000000000', /milliseconds/],
    ['946684799', /out of range/],
    ['2023-11-14T22:13:20', /ISO 8601 with a zone/],
    ['2023-11-14', /ISO 8601 with a zone/],
    ['2023-02-30T00:00:00Z', /not a real date and time/],
    ['2023-02-29T00:00:00Z', /not a real date and time/],
    ['2023-11-14T24:00:00Z', /not a real date and time/],
    ['2023-13-01T00:00:00Z', /not a real date and time/],
    ['yesterday', /got 'yesterday'/],
    ['-1700000000', /unix seconds/],
    ['1.7e9', /unix seconds/],
    ['', /unix seconds/],
  ])('rejects %s', (text, message) => {
    expect(() => parseTime(text, NOW)).toThrow(message);
  });
});

describe('parseDuration', () => {
  it.each([
    ['500ms', 500],
    ['90s', 90_000],
    ['30m', 1_800_000],
    ['2h', 7_200_000],
    ['7d', 604_800_000],
    ['1h30m', 5_400_000],
    ['1d2h3m4s5ms', 93_784_005],
    ['1H', 3_600_000],
  ])('%s is %d ms', (text, ms) => {
    expect(parseDuration(text)).toBe(ms);
  });

  it.each([
    ['30', /add a unit, such as 30s/],
    ['', /must be a duration/],
    ['1 h', /must be a duration/],
    ['1h 30m', /must be a duration/],
    ['1.5h', /must be a duration/],
    ['-5s', /must be a duration/],
    ['10minutes', /must be a duration/],
    ['1h1h', /names the unit 'h' twice/],
  ])('rejects %s', (text, message) => {
    expect(() => parseDuration(text)).toThrow(message);
  });
});

describe('formatDuration', () => {
  it.each([
    [1234, '1.2s'],
    [192_000, '3m 12s'],
    [3_600_000, '1h'],
    [90_061_000, '1d 1h 1m 1s'],
  ])('%d ms reads %s', (ms, text) => expect(formatDuration(ms)).toBe(text));
});
