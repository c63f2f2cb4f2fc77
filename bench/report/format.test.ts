import { describe, expect, it } from 'vitest';
import {
  formatDuration,
  formatInstant,
  formatMachine,
  formatMs,
  formatRate,
  formatRatio,
  formatSlope,
} from './format.ts';

describe('formatting', () => {
  it('writes rates with thousands separators, and one decimal only below 10', () => {
    expect(formatRate(47_619.05)).toBe('47,619');
    expect(formatRate(1_234_567.8)).toBe('1,234,568');
    expect(formatRate(7.25)).toBe('7.3');
    expect(formatRate(0)).toBe('0.0');
  });

  it('writes ratios with two decimals and milliseconds as integers', () => {
    expect(formatRatio(0.6667)).toBe('0.67×');
    expect(formatRatio(1)).toBe('1.00×');
    expect(formatMs(176.5)).toBe('177 ms');
    expect(formatMs(1_204.8)).toBe('1,205 ms');
  });

  it('signs slopes so a flat lag reads as near zero either way', () => {
    expect(formatSlope(0.83)).toBe('+0.8');
    expect(formatSlope(-1.7)).toBe('-1.7');
  });

  it('writes durations in the largest sensible units', () => {
    expect(formatDuration(48.2)).toBe('48 s');
    expect(formatDuration(60)).toBe('1 min');
    expect(formatDuration(1_268.4)).toBe('21 min 8 s');
    expect(formatDuration(3_725)).toBe('1 h 02 min');
  });

  it('writes instants to the minute in UTC, and leaves unparseable text alone', () => {
    expect(formatInstant('2026-11-24T07:30:12.345Z')).toBe('2026-11-24 07:30 UTC');
    expect(formatInstant('yesterday')).toBe('yesterday');
  });

  it('describes the machine on one line', () => {
    const machine = { hostname: 'h', cpus: 1, cpuModel: 'M', memoryGiB: 2, os: 'Linux' };
    expect(formatMachine(machine)).toBe('h: 1 core, M, 2.0 GiB, Linux');
  });
});
