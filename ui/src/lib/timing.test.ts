import { describe, expect, it } from 'vitest';
import { localInput, utcText } from './timing';

describe('timing', () => {
  it('gives a datetime-local value that reads back as the same minute', () => {
    const ms = Date.UTC(2027, 0, 15, 8, 30, 45);
    const value = localInput(ms);
    expect(value).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}$/);
    expect(new Date(value).getTime()).toBe(ms - 45_000);
  });

  it('shows the instant in UTC', () => {
    expect(utcText(Date.UTC(2027, 0, 15, 8, 0))).toBe('2027-01-15 08:00 UTC');
  });
});
