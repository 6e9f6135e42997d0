import { parse, View } from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';
import { type Html, html, trusted } from './html.js';

/**
 * Charts drawn on the server as SVG with Vega-Lite (docs/support.md, "Console"): no script reaches the
 * browser, the page prints as it shows, and each chart carries its numbers twice — in the marks' ARIA
 * labels and in a table beneath it — so a screen reader, a printout and a test read the same figures.
 */

export interface ChartPoint {
  /** A day (YYYY-MM-DD). */
  readonly day: string;
  /** The series the bar belongs to (stacked and coloured by it). */
  readonly series: string;
  readonly value: number;
}

export interface BarChartSpec {
  readonly id: string;
  readonly title: string;
  /** One sentence for people who cannot see the chart. */
  readonly description: string;
  readonly points: readonly ChartPoint[];
  /** Every day shown, oldest first (a day without a point shows as zero). */
  readonly days: readonly string[];
  readonly valueLabel: string;
}

/** Colour-blind-safe, and distinct in greyscale print (Okabe–Ito). */
const PALETTE = ['#0072B2', '#E69F00', '#009E73', '#CC79A7', '#56B4E9', '#D55E00', '#F0E442', '#000000'];

async function svgOf(spec: TopLevelSpec): Promise<string> {
  const view = new View(parse(compile(spec).spec), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

export async function barChart(chart: BarChartSpec): Promise<Html> {
  const series = [...new Set(chart.points.map((p) => p.series))].sort();
  const spec: TopLevelSpec = {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    description: chart.description,
    width: 760,
    height: 200,
    background: 'white',
    data: { values: chart.points.map((p) => ({ day: p.day, series: p.series, value: p.value })) },
    mark: { type: 'bar', tooltip: false },
    encoding: {
      x: {
        field: 'day',
        type: 'ordinal',
        title: null,
        scale: { domain: [...chart.days] },
        axis: { labelAngle: -60, labelFontSize: 9, labelExpr: 'slice(datum.value, 5)' },
      },
      y: { field: 'value', type: 'quantitative', title: chart.valueLabel, stack: 'zero' },
      color: {
        field: 'series',
        type: 'nominal',
        title: null,
        scale: { domain: series.length > 0 ? series : ['none'], range: PALETTE },
        legend: { orient: 'top', direction: 'horizontal', labelLimit: 0, columns: 4 },
      },
    },
    config: { font: 'system-ui, sans-serif', view: { stroke: null } },
  };
  const svg = await svgOf(spec);
  const totals = series.map((s) => ({
    series: s,
    total: chart.points.filter((p) => p.series === s).reduce((n, p) => n + p.value, 0),
  }));
  return html`<figure class="chart" id="${chart.id}" aria-labelledby="${chart.id}-title">
  <figcaption id="${chart.id}-title"><h2>${chart.title}</h2><p>${chart.description}</p></figcaption>
  <div class="chart-svg" role="img" aria-label="${chart.title}: ${totals.map((t) => `${t.series} ${t.total}`).join(', ') || 'nothing in this period'}">${trusted(svg)}</div>
  <table class="chart-data" data-chart="${chart.id}">
    <caption>${chart.title}: totals over the period</caption>
    <thead><tr><th scope="col">Series</th><th scope="col">Total</th></tr></thead>
    <tbody>${
      totals.length === 0
        ? html`<tr><td colspan="2">Nothing in this period.</td></tr>`
        : totals.map(
            (t) =>
              html`<tr data-series="${t.series}"><th scope="row">${t.series}</th><td>${t.total}</td></tr>`,
          )
    }</tbody>
  </table>
</figure>`;
}
