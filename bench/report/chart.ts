/**
 * The benchmark's chart (`bench/results/latest.svg`): each stage's users/s next to its raw baseline and end
 * to end next to the serial limit, the sink's scaling by batch size and partitions, and the end-to-end latency
 * percentiles. The spec is Vega-Lite, built by a pure function so tests can inspect it; Vega renders it to SVG
 * headless (no canvas, no browser).
 */
import { parse, View, logger as vegaLogger, Warn } from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';
import type { Results } from '../lib/results.ts';
import { formatInstant, formatLoad, formatMachine, formatRatio, shortCommit } from './format.ts';

/** Layout and colours of the chart. */
export const chartDefaults = {
  /** Width of the stages panel; the two lower panels share it. */
  width: 640,
  /** Height per stage row in the stages panel. */
  stageRowHeight: 44,
  panelHeight: 240,
  font: 'sans-serif',
  ours: { label: 'our stage', color: '#4c78a8' },
  raw: { label: 'raw tool', color: '#bab0ac' },
  percentiles: { p50: '#54a24b', p95: '#eeca3b', p99: '#e45756' },
} as const;

/** One bar of the stages panel. */
export interface StageBar {
  /** The y-axis label: the stage, and the baseline it is compared with. */
  row: string;
  series: string;
  perSecond: number;
  /** Where the bar is drawn: the rate, raised to the axis minimum so a zero rate cannot break the log scale. */
  plotted: number;
  /** The ratio label, on our bar only. */
  ratio: string;
}

/** One point of the scaling panel. */
export interface ScalingDatum {
  partitions: number;
  batchSize: number;
  perSecond: number;
}

/** One bar of the latency panel. */
export interface LatencyBar {
  /** `low-latency @ 50%` */
  group: string;
  percentile: 'p50' | 'p95' | 'p99';
  ms: number;
  plotted: number;
}

/**
 * The stages panel's bars: for each stage, our bar and (when it has one) its baseline's bar, in the stages'
 * order, with a log-scale domain that leaves room for the ratio labels.
 */
export function stageBars(results: Results): { bars: StageBar[]; domain: [number, number] } {
  const baselines = new Map(results.baselines.map((b) => [b.id, b]));
  const raw: Omit<StageBar, 'plotted'>[] = [];
  for (const stage of results.stages) {
    const baseline = stage.baseline === undefined ? undefined : baselines.get(stage.baseline);
    const row = baseline ? `${stage.id} vs ${baseline.id}` : stage.id;
    raw.push({
      row,
      series: chartDefaults.ours.label,
      perSecond: stage.perSecond,
      ratio: stage.ratio === undefined ? '' : formatRatio(stage.ratio),
    });
    if (baseline) {
      raw.push({ row, series: chartDefaults.raw.label, perSecond: baseline.perSecond, ratio: '' });
    }
  }
  // End to end beside the serial limit (lib/serial-limit.ts), the ceiling the raw tools set for it together.
  const limit = results.serialLimit;
  if (limit?.endToEnd !== undefined) {
    const row = 'e2e vs serial limit';
    raw.push({
      row,
      series: chartDefaults.ours.label,
      perSecond: limit.endToEnd.perSecond,
      ratio: formatRatio(limit.endToEnd.fraction),
    });
    raw.push({ row, series: chartDefaults.raw.label, perSecond: limit.perSecond, ratio: '' });
  }
  // A decade of headroom keeps the ratio column at the right edge clear of the longest bar's label.
  const domain = logDomain(
    raw.map((b) => b.perSecond),
    10,
  );
  return { bars: raw.map((b) => ({ ...b, plotted: Math.max(b.perSecond, domain[0]) })), domain };
}

/** The scaling panel's points, sorted so each partition count's line runs left to right. */
export function scalingData(results: Results): ScalingDatum[] {
  return results.scaling
    .map(({ partitions, batchSize, perSecond }) => ({ partitions, batchSize, perSecond }))
    .sort((a, b) => a.partitions - b.partitions || a.batchSize - b.batchSize);
}

/** The latency panel's bars: p50, p95 and p99 for each profile and load, with a log-scale domain. */
export function latencyBars(results: Results): { bars: LatencyBar[]; domain: [number, number] } {
  const raw = results.endToEnd.flatMap((profile) =>
    profile.latency.flatMap((l) =>
      (['p50', 'p95', 'p99'] as const).map((percentile) => ({
        group: `${profile.id} @ ${formatLoad(l.loadFraction)}`,
        percentile,
        ms: l[percentile],
      })),
    ),
  );
  const domain = logDomain(
    raw.map((b) => b.ms),
    1.5,
  );
  return { bars: raw.map((b) => ({ ...b, plotted: Math.max(b.ms, domain[0]) })), domain };
}

/**
 * A log-scale domain of whole powers of ten around the positive values. The lower end sits strictly below the
 * smallest value, because a log-scale bar starts at the domain's minimum and would otherwise have no length;
 * `headroom` multiplies the largest value to leave space for labels past the bar's end.
 */
export function logDomain(values: readonly number[], headroom: number): [number, number] {
  const positive = values.filter((v) => v > 0 && Number.isFinite(v));
  if (positive.length === 0) return [1, 10];
  const low = 10 ** Math.floor(Math.log10(Math.min(...positive) / 2));
  const high = 10 ** Math.ceil(Math.log10(Math.max(...positive) * headroom));
  return [low, Math.max(high, low * 10)];
}

/** The whole chart as a Vega-Lite spec: the stages panel on top, scaling and latency side by side below. */
export function chartSpec(results: Results): TopLevelSpec {
  const { width, panelHeight } = chartDefaults;
  // The spacing and the latency panel's axis and rotated labels take about 160 px, so the two rows end level.
  const half = Math.floor((width - 160) / 2);
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    background: 'white',
    padding: 12,
    title: {
      text: `Benchmark ${formatInstant(results.startedAt)} · ${results.mode} · ${shortCommit(results.git.commit)}${results.git.dirty ? ' (dirty)' : ''}`,
      subtitle: formatMachine(results.machine),
      anchor: 'start',
      fontSize: 16,
      subtitleFontSize: 12,
      offset: 12,
    },
    config: {
      font: chartDefaults.font,
      view: { stroke: null },
      axis: { labelFontSize: 11, titleFontSize: 11, titleFontWeight: 'normal' },
      legend: { labelFontSize: 11, titleFontSize: 11 },
      title: { anchor: 'start', fontSize: 13, offset: 8 },
    },
    resolve: independentColors,
    vconcat: [
      stagesPanel(results, width),
      {
        hconcat: [scalingPanel(results, half, panelHeight), latencyPanel(results, half, panelHeight)],
        spacing: 60,
        resolve: independentColors,
      },
    ],
    spacing: 36,
  };
}

// The panels colour different things (ours/raw, partitions, percentiles): each keeps its own scale and legend.
// A resolve applies to its own level only, so both concatenations carry it.
const independentColors = { scale: { color: 'independent' }, legend: { color: 'independent' } } as const;

/** Any view a concatenation can hold (Vega-Lite exports this type only under an unstable path). */
type Panel = Extract<TopLevelSpec, { vconcat: unknown }>['vconcat'][number];

function stagesPanel(results: Results, width: number): Panel {
  const title = 'Users/s: each stage vs its raw baseline (log scale; bold = ours ÷ raw)';
  const { bars, domain } = stageBars(results);
  if (bars.length === 0) return emptyPanel(title, 'No stages in this run.', width, 60);
  const rows = [...new Set(bars.map((b) => b.row))];
  const y = { field: 'row', type: 'nominal', sort: rows, title: null, axis: { labelLimit: 260 } } as const;
  const yOffset = {
    field: 'series',
    type: 'nominal',
    sort: [chartDefaults.ours.label, chartDefaults.raw.label],
  } as const;
  const x = {
    field: 'plotted',
    type: 'quantitative',
    title: 'users (records) per second',
    scale: { type: 'log', domain },
    axis: { format: '~s', grid: true },
  } as const;
  return {
    title,
    width,
    height: rows.length * chartDefaults.stageRowHeight,
    data: { values: bars },
    layer: [
      {
        name: 'stage_bars',
        mark: { type: 'bar', height: { band: 1 } },
        encoding: {
          y,
          yOffset,
          x: { ...x, stack: null },
          color: {
            field: 'series',
            type: 'nominal',
            title: null,
            scale: {
              domain: [chartDefaults.ours.label, chartDefaults.raw.label],
              range: [chartDefaults.ours.color, chartDefaults.raw.color],
            },
            legend: { orient: 'top', direction: 'horizontal' },
          },
        },
      },
      {
        name: 'stage_rates',
        mark: { type: 'text', align: 'left', dx: 4, fontSize: 10, color: '#333' },
        encoding: { y, yOffset, x, text: { field: 'perSecond', type: 'quantitative', format: ',.0f' } },
      },
      {
        // The ratios sit in a column at the right edge, clear of the bars' rate labels whatever the rates are.
        name: 'stage_ratios',
        transform: [{ filter: "datum.ratio !== ''" }],
        mark: { type: 'text', align: 'right', baseline: 'middle', fontSize: 13, fontWeight: 'bold' },
        encoding: {
          y,
          x: { datum: domain[1], type: 'quantitative' },
          text: { field: 'ratio', type: 'nominal' },
        },
      },
    ],
  };
}

function scalingPanel(results: Results, width: number, height: number): Panel {
  const title = 'Sink scaling: users/s by batch size';
  const points = scalingData(results);
  if (points.length === 0) return emptyPanel(title, 'No scaling points in this run.', width, height);
  return {
    title,
    width,
    height,
    data: { values: points },
    encoding: {
      x: { field: 'batchSize', type: 'ordinal', title: 'batch size', axis: { labelAngle: 0 } },
      y: { field: 'perSecond', type: 'quantitative', title: 'users/s', axis: { format: ',.0f' } },
      color: {
        field: 'partitions',
        type: 'ordinal',
        title: 'partitions',
        scale: { scheme: 'viridis' },
        // Title beside the entries: one line, like the latency legend, so the two panels' titles line up.
        legend: { orient: 'top', direction: 'horizontal', titleOrient: 'left' },
      },
    },
    // Named layers rather than `point: true`, so the marks' SVG groups have stable class names.
    layer: [
      { name: 'scaling_lines', mark: { type: 'line', strokeWidth: 2 } },
      { name: 'scaling_points', mark: { type: 'point', filled: true, size: 50 } },
    ],
  };
}

function latencyPanel(results: Results, width: number, height: number): Panel {
  const title = 'End-to-end latency (ms, log scale)';
  const { bars, domain } = latencyBars(results);
  if (bars.length === 0) return emptyPanel(title, 'No latency measured in this run.', width, height);
  const percentiles = Object.keys(chartDefaults.percentiles);
  return {
    title,
    width,
    height,
    data: { values: bars },
    name: 'latency_bars',
    mark: { type: 'bar', width: { band: 1 } },
    encoding: {
      x: {
        field: 'group',
        type: 'nominal',
        title: null,
        sort: [...new Set(bars.map((b) => b.group))],
        axis: { labelAngle: -30 },
      },
      xOffset: { field: 'percentile', type: 'nominal', sort: percentiles },
      y: {
        field: 'plotted',
        type: 'quantitative',
        title: 'ms',
        stack: null,
        scale: { type: 'log', domain },
        axis: { format: '~s', grid: true },
      },
      color: {
        field: 'percentile',
        type: 'nominal',
        title: null,
        scale: { domain: percentiles, range: Object.values(chartDefaults.percentiles) },
        legend: { orient: 'top', direction: 'horizontal' },
      },
    },
  };
}

/** A panel with only a note: an empty dataset would leave Vega a scale with no domain, and NaN in the SVG. */
function emptyPanel(title: string, note: string, width: number, height: number): Panel {
  return {
    title,
    width,
    height,
    data: { values: [{ note }] },
    mark: { type: 'text', fontSize: 12, color: '#666', aria: false },
    encoding: { text: { field: 'note', type: 'nominal' } },
  };
}

/** Options of {@link renderChartSvg}. */
export interface RenderChartOptions {
  /** Receives Vega-Lite's and Vega's warnings (e.g. a dropped encoding); they go to stderr by default. */
  onWarning?: (message: string) => void;
}

/**
 * Renders the chart as a standalone SVG document.
 *
 * @param results - one run's results
 * @param options - where warnings go
 * @returns the SVG text, starting with `<svg` and ending with `</svg>`
 */
export async function renderChartSvg(results: Results, options: RenderChartOptions = {}): Promise<string> {
  const onWarning = options.onWarning ?? ((message: string) => console.warn(`bench chart: ${message}`));
  const logger = vegaLogger(Warn, undefined, (_method, _level, args) => {
    onWarning(args.map(String).join(' '));
  });
  const { spec } = compile(chartSpec(results), { logger });
  const view = new View(parse(spec), { renderer: 'none', logger });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}
