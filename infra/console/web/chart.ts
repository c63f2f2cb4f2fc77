/**
 * A uPlot line chart as a preact component: built once per set of series, fed new columns on each render,
 * resized with its container. The canvas is hidden from assistive technology; the figures it draws are
 * shown as text next to it, and the caption says what it plots.
 */
import { html } from 'htm/preact';
import { useEffect, useRef } from 'preact/hooks';
import uPlot from 'uplot';

export interface ChartSeries {
  label: string;
  color: string;
  /** 'y' (left axis, the default) or 'y2' (right axis). */
  scale?: 'y' | 'y2';
  dash?: number[];
  format: (v: number | null) => string;
}

export interface ChartProps {
  caption: string;
  series: ChartSeries[];
  /** uPlot's columns: x (Unix seconds), then one per series. */
  data: uPlot.AlignedData;
  /** Axis titles: left, and right when a series uses it. */
  axes: { y: string; y2?: string };
  height?: number;
}

const axisStyle = { stroke: '#3d444d', grid: { stroke: '#eaeef2' }, ticks: { stroke: '#d0d7de' } };

function options(props: ChartProps, width: number): uPlot.Options {
  const axes: uPlot.Axis[] = [{ ...axisStyle }, { ...axisStyle, label: props.axes.y, size: 60 }];
  if (props.axes.y2)
    axes.push({ ...axisStyle, scale: 'y2', side: 1, label: props.axes.y2, size: 60, grid: { show: false } });
  return {
    width,
    height: props.height ?? 220,
    series: [
      {},
      ...props.series.map((s) => ({
        label: s.label,
        stroke: s.color,
        width: 2,
        scale: s.scale ?? 'y',
        dash: s.dash,
        spanGaps: false,
        value: (_: uPlot, v: number | null) => (v === null ? '–' : s.format(v)),
      })),
    ],
    scales: { x: { time: true }, y: { range: (_u, min, max) => [Math.min(0, min), max > 0 ? max : 1] } },
    axes,
    legend: { live: true },
    cursor: { drag: { x: false, y: false } },
  };
}

export function Chart(props: ChartProps) {
  const box = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);
  const seriesKey = props.series.map((s) => s.label).join('|');
  useEffect(() => {
    const element = box.current;
    if (!element) return;
    const chart = new uPlot(options(props, element.clientWidth || 600), props.data, element);
    plot.current = chart;
    const resize = new ResizeObserver(() =>
      chart.setSize({ width: element.clientWidth, height: props.height ?? 220 }),
    );
    resize.observe(element);
    return () => {
      resize.disconnect();
      chart.destroy();
      plot.current = null;
    };
  }, [seriesKey]);
  useEffect(() => {
    plot.current?.setData(props.data);
  }, [props.data]);
  return html`<figure class="chart">
    <figcaption>${props.caption}</figcaption>
    <div ref=${box} aria-hidden="true"></div>
  </figure>`;
}
