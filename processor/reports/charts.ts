/**
 * A report's small charts as PNG images, rendered without a browser: Apache
 * ECharts draws SVG server-side, resvg turns it into PNG with the DejaVu Sans
 * font shipped as a package (the same pixels on every machine, fonts
 * installed or not). Deterministic: the same report gives the same images.
 */
import { createRequire } from 'node:module';
import * as echarts from 'echarts';
import { Resvg } from '@resvg/resvg-js';
import type { Report, Series } from './model.js';
import { formatBytes, formatDate } from './format.js';

const FONT = createRequire(import.meta.url).resolve('dejavu-fonts-ttf/ttf/DejaVuSans.ttf');
const WIDTH = 560;
const HEIGHT = 200;
const COLOR = '#3b6fb6';
const HOT = '#c0392b';

export interface Chart {
  /** file name, also its Content-ID in the email */
  name: string;
  title: string;
  png: Buffer;
}

function render(option: echarts.EChartsOption, height = HEIGHT): Buffer {
  const chart = echarts.init(null, null, { renderer: 'svg', ssr: true, width: WIDTH, height });
  try {
    chart.setOption({
      animation: false,
      textStyle: { fontFamily: 'DejaVu Sans', fontSize: 11 },
      grid: { left: 64, right: 16, top: 16, bottom: 28 },
      ...option,
    });
    const svg = chart.renderToSVGString();
    return new Resvg(svg, {
      background: '#ffffff',
      font: { loadSystemFonts: false, fontFiles: [FONT], defaultFontFamily: 'DejaVu Sans' },
      fitTo: { mode: 'width', value: WIDTH },
    }).render().asPng();
  } finally {
    chart.dispose();
  }
}

function timeChart(s: Series, tz: string, spansDays: boolean, yLabel: (v: number) => string): Buffer {
  return render({
    xAxis: {
      type: 'time',
      axisLabel: { formatter: (v: number) => formatDate(v, tz, spansDays ? 'day' : 'time'), hideOverlap: true },
    },
    yAxis: { type: 'value', min: 0, axisLabel: { formatter: yLabel }, splitLine: { lineStyle: { color: '#e5e5e5' } } },
    series: [{ type: 'line', data: s, showSymbol: false, lineStyle: { color: COLOR, width: 1.5 }, areaStyle: { color: COLOR, opacity: 0.12 } }],
  });
}

/** The charts of a report; none for an empty period. */
export function reportCharts(r: Report): Chart[] {
  if (r.empty) return [];
  const spansDays = r.to - r.from > 2 * 86_400_000;
  const out: Chart[] = [];
  if (r.series.cpu.length) {
    out.push({ name: 'cpu.png', title: 'CPU of all containers (% of one core)', png: timeChart(r.series.cpu, r.timezone, spansDays, (v) => `${v}`) });
  }
  if (r.series.mem.length) {
    out.push({ name: 'memory.png', title: 'Memory of all containers', png: timeChart(r.series.mem, r.timezone, spansDays, (v) => formatBytes(v, 0)) });
  }
  if (r.hours.fleet.some((v) => v !== null)) {
    const busiest = new Set(r.hours.busiest);
    out.push({
      name: 'hours.png',
      title: `CPU by hour of the day (${r.timezone}); the busiest in red`,
      png: render({
        xAxis: { type: 'category', data: r.hours.fleet.map((_, h) => String(h).padStart(2, '0')), axisLabel: { interval: 1 } },
        yAxis: { type: 'value', min: 0, splitLine: { lineStyle: { color: '#e5e5e5' } } },
        series: [{ type: 'bar', data: r.hours.fleet.map((v, h) => ({ value: v ?? 0, itemStyle: { color: busiest.has(h) ? HOT : COLOR } })) }],
      }),
    });
  }
  if (r.top.cpu.length) {
    const entries = [...r.top.cpu].reverse();
    out.push({
      name: 'top-cpu.png',
      title: 'Top containers by mean CPU (% of one core)',
      png: render({
        grid: { left: 180, right: 24, top: 8, bottom: 24 },
        xAxis: { type: 'value', min: 0, splitLine: { lineStyle: { color: '#e5e5e5' } } },
        yAxis: { type: 'category', data: entries.map((e) => (r.host || r.hosts.length <= 1 ? e.container : `${e.container} (${e.host})`).slice(0, 32)) },
        series: [{ type: 'bar', data: entries.map((e) => e.value), itemStyle: { color: COLOR } }],
      }, Math.max(80, 24 + entries.length * 18)),
    });
  }
  return out;
}
