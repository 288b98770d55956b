import { describe, expect, it } from 'vitest';
import { maskNumber } from '../../core/util/mask';

describe('maskNumber', () => {
  it.each([
    // Every digit but the country code and the last two is hidden: the length stays.
    { value: '+447911123456', masked: '+44********56' },
    { value: '+14155552671', masked: '+1********71' },
    { value: '+4915123456789', masked: '+49*********89' },
    { value: '447911123456', masked: '+44********56' },
  ])('$value → $masked', ({ value, masked }) => {
    // Act
    const result = maskNumber(value);
    // Assess
    expect(result).toBe(masked);
    expect(result).toHaveLength(value.startsWith('+') ? value.length : value.length + 1);
  });

  it('keeps only the country code and the last two digits', () => {
    // Act
    const masked = maskNumber('+447911123456')!;
    // Assess
    expect(masked.startsWith('+44')).toBe(true);
    expect(masked.endsWith('56')).toBe(true);
    expect(masked.replace(/\*/g, '')).toBe('+4456');
  });

  it('keeps +1 for a US number', () => {
    expect(maskNumber('+14155552671')).toMatch(/^\+1\*+71$/);
  });

  it.each(['ACME', 'My Brand', 'ABCDEFGHIJK'])('leaves alphanumeric sender %j as it is (not personal data)', (sender) => {
    expect(maskNumber(sender)).toBe(sender);
  });

  it('shortens an over-long alphanumeric value', () => {
    expect(maskNumber('AVeryLongSenderName')).toBe('AV***');
  });

  it('passes undefined through', () => {
    expect(maskNumber(undefined)).toBeUndefined();
  });

  it('never leaves the subscriber digits of a number in the output', () => {
    for (const value of ['+447911123456', '+4915123456789', '+14155552671']) {
      const masked = maskNumber(value)!;
      const subscriber = value.slice(-8, -2);
      expect(masked).not.toContain(subscriber);
    }
  });
});
