import { describe, expect, it } from 'vitest';
import type { Results } from '../lib/results.ts';
import { chartDefaults, latencyBars, logDomain, renderChartSvg, scalingData, stageBars } from './chart.ts';
import { sampleQuickResults, sampleResults } from './sample.ts';
import { xmlProblem } from './xml.ts';

/** The `<path>` elements of the mark group whose class ends in `name`, e.g. `stage_bars_marks`. */
function marks(svg: string, name: string): string[] {
  const groups = [...svg.matchAll(new RegExp(`<g class="mark-\\w+ role-mark ${name}"[^>]*>(.*?)</g>`, 'g'))];
  return groups.flatMap((g) => g[1]?.match(/<path [^>]*>/g) ?? []);
}

async function render(results: Results): Promise<{ svg: string; warnings: string[] }> {
  const warnings: string[] = [];
  const svg = await renderChartSvg(results, { onWarning: (message) => warnings.push(message) });
  return { svg, warnings };
}

describe('logDomain', () => {
  it('spans whole powers of ten, strictly below the smallest value so its bar has a length', () => {
    expect(logDomain([13_888, 140_845], 10)).toEqual([1_000, 10_000_000]);
    expect(logDomain([1_000], 1)).toEqual([100, 1_000]);
    expect(logDomain([41.2, 2_118.7], 1.5)).toEqual([10, 10_000]);
  });

  it('ignores zeros and falls back to one decade without positive values', () => {
    expect(logDomain([0, 500], 1)).toEqual([100, 1_000]);
    expect(logDomain([], 1)).toEqual([1, 10]);
  });
});

describe('chart data', () => {
  it('pairs each stage with its baseline, and puts the ratio on our bar only', () => {
    const { bars, domain } = stageBars(sampleResults());

    // Four stages, three with a baseline, then end to end beside the serial limit.
    expect(bars).toHaveLength(4 + 3 + 2);
    expect(bars.filter((b) => b.series === chartDefaults.ours.label).map((b) => b.ratio)).toEqual([
      '',
      '0.67×',
      '0.55×',
      '0.81×',
      '0.34×',
    ]);
    expect(bars.filter((b) => b.row === 'e2e vs serial limit')).toMatchObject([
      { series: chartDefaults.ours.label },
      { series: chartDefaults.raw.label, perSecond: 11_695.91, ratio: '' },
    ]);
    expect(
      bars.find((b) => b.row === 'store vs postgres-bulk' && b.series === chartDefaults.raw.label),
    ).toMatchObject({
      perSecond: 62_500,
      ratio: '',
    });
    expect(domain).toEqual([1_000, 10_000_000]);
  });

  it('draws a zero rate at the axis minimum instead of breaking the log scale', () => {
    const results = sampleResults();
    const [fetch] = results.stages;
    if (fetch) fetch.perSecond = 0;

    const { bars, domain } = stageBars(results);

    expect(bars[0]).toMatchObject({ perSecond: 0, plotted: domain[0] });
  });

  it('sorts the scaling points and lists three percentiles per profile and load', () => {
    const results = sampleResults();
    results.scaling.reverse();

    expect(scalingData(results)[0]).toMatchObject({ partitions: 1, batchSize: 10 });
    const { bars } = latencyBars(results);
    expect(bars).toHaveLength(5 * 3);
    expect(bars.slice(3, 6)).toEqual([
      { group: 'low-latency @ 50%', percentile: 'p50', ms: 47.8, plotted: 47.8 },
      { group: 'low-latency @ 50%', percentile: 'p95', ms: 104.4, plotted: 104.4 },
      { group: 'low-latency @ 50%', percentile: 'p99', ms: 176.5, plotted: 176.5 },
    ]);
  });
});

describe('renderChartSvg', () => {
  it('renders a well-formed SVG with a title naming the date and the machine', async () => {
    const { svg, warnings } = await render(sampleResults());

    expect(warnings).toEqual([]);
    expect(svg.startsWith('<svg')).toBe(true);
    expect(svg.endsWith('</svg>')).toBe(true);
    expect(xmlProblem(svg)).toBeUndefined();
    expect(svg).toContain('>Benchmark 2026-11-24 07:30 UTC · full · 297d9d9</text>');
    expect(svg).toContain(
      '>bench-runner-1: 8 cores, AMD EPYC 7B13, 31.3 GiB, Linux 6.8.0-1015-gcp x64</text>',
    );
    expect(svg).not.toMatch(/NaN|undefined|Infinity/);
  });

  it('draws one bar per stage, one per compared baseline, and labels each comparison with its ratio', async () => {
    const { svg } = await render(sampleResults());

    const bars = marks(svg, 'stage_bars_marks');
    expect(bars).toHaveLength(4 + 3 + 2);
    expect(bars.filter((b) => b.includes(`series: ${chartDefaults.ours.label}`))).toHaveLength(5);
    expect(svg).toMatch(/<text [^>]*>0\.67×<\/text>/);
    expect(svg).toMatch(/<text [^>]*>0\.55×<\/text>/);
    expect(svg).toMatch(/<text [^>]*>0\.81×<\/text>/);
    expect(svg).toMatch(/<text [^>]*>0\.34×<\/text>/);
  });

  it('draws one scaling line per partition count and three latency bars per profile and load', async () => {
    const { svg } = await render(sampleResults());

    expect(marks(svg, 'scaling_lines_marks')).toHaveLength(3);
    expect(marks(svg, 'latency_bars_marks')).toHaveLength(5 * 3);
  });

  it('uses plain sans-serif text throughout', async () => {
    const { svg } = await render(sampleResults());

    const fonts = new Set([...svg.matchAll(/font-family="([^"]*)"/g)].map((m) => m[1]));
    expect([...fonts]).toEqual(['sans-serif']);
  });

  it('renders a quick run with a single point per panel', async () => {
    const { svg, warnings } = await render(sampleQuickResults());

    expect(warnings).toEqual([]);
    expect(xmlProblem(svg)).toBeUndefined();
    expect(svg).not.toMatch(/NaN|undefined|Infinity/);
    expect(marks(svg, 'stage_bars_marks')).toHaveLength(2);
    expect(marks(svg, 'latency_bars_marks')).toHaveLength(3);
  });

  it('renders empty panels as notes, without NaN, when a run measured nothing for them', async () => {
    const empty = { ...sampleQuickResults(), baselines: [], stages: [], endToEnd: [], scaling: [] };

    const { svg, warnings } = await render(empty);

    expect(warnings).toEqual([]);
    expect(xmlProblem(svg)).toBeUndefined();
    expect(svg).not.toMatch(/NaN|undefined|Infinity/);
    expect(svg).toContain('>No stages in this run.</text>');
    expect(svg).toContain('>No scaling points in this run.</text>');
    expect(svg).toContain('>No latency measured in this run.</text>');
  });
});
