/**
 * A small SVG line chart, no dependencies: one line per series over a logarithmic x axis (the
 * directory size) and a logarithmic y axis (milliseconds), a legend on the right.
 */
export interface Series {
  label: string;
  /** [x, y] points; y undefined where nothing was measured. */
  points: Array<[number, number | undefined]>;
}

const COLOURS = ['#1f77b4', '#ff7f0e', '#2ca02c', '#d62728', '#9467bd', '#8c564b', '#e377c2', '#7f7f7f', '#bcbd22', '#17becf'];

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

function niceTicks(min: number, max: number): number[] {
  const out: number[] = [];
  for (let e = Math.floor(Math.log10(min)); e <= Math.ceil(Math.log10(max)); e++) {
    for (const m of [1, 2, 3, 5]) {
      const v = m * 10 ** e;
      if (v >= min / 1.0001 && v <= max * 1.0001) out.push(v);
    }
  }
  return out;
}

const fmtSize = (n: number) => (n >= 1e6 ? `${n / 1e6}M` : n >= 1e3 ? `${n / 1e3}k` : String(n));
const fmtMs = (n: number) => (n >= 1 ? String(Number(n.toPrecision(3))) : n.toPrecision(2));

export function lineChart(o: { title: string; xLabel: string; yLabel: string; series: Series[] }): string {
  const W = 860;
  const H = 460;
  const left = 70;
  const right = 250;
  const top = 40;
  const bottom = 60;
  const xs = [...new Set(o.series.flatMap((s) => s.points.map(([x]) => x)))].sort((a, b) => a - b);
  const ys = o.series.flatMap((s) => s.points.map(([, y]) => y).filter((y): y is number => y !== undefined && y > 0));
  const yMin = Math.max(0.01, Math.min(...ys) / 1.5);
  const yMax = Math.max(...ys) * 1.5;
  const xMin = xs[0]!;
  const xMax = xs[xs.length - 1]!;
  const px = (x: number) => left + (xMax === xMin ? 0.5 : (Math.log10(x) - Math.log10(xMin)) / (Math.log10(xMax) - Math.log10(xMin))) * (W - left - right);
  const py = (y: number) => top + (1 - (Math.log10(y) - Math.log10(yMin)) / (Math.log10(yMax) - Math.log10(yMin))) * (H - top - bottom);
  const parts: string[] = [];
  parts.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="12">`);
  parts.push(`<rect width="${W}" height="${H}" fill="white"/>`);
  parts.push(`<text x="${left}" y="22" font-size="15" font-weight="bold">${esc(o.title)}</text>`);
  for (const t of niceTicks(yMin, yMax)) {
    parts.push(`<line x1="${left}" x2="${W - right}" y1="${py(t).toFixed(1)}" y2="${py(t).toFixed(1)}" stroke="#e5e5e5"/>`);
    parts.push(`<text x="${left - 6}" y="${(py(t) + 4).toFixed(1)}" text-anchor="end" fill="#555">${fmtMs(t)}</text>`);
  }
  for (const x of xs) {
    parts.push(`<line x1="${px(x).toFixed(1)}" x2="${px(x).toFixed(1)}" y1="${top}" y2="${H - bottom}" stroke="#e5e5e5"/>`);
    parts.push(`<text x="${px(x).toFixed(1)}" y="${H - bottom + 18}" text-anchor="middle" fill="#555">${fmtSize(x)}</text>`);
  }
  parts.push(`<rect x="${left}" y="${top}" width="${W - left - right}" height="${H - top - bottom}" fill="none" stroke="#999"/>`);
  parts.push(`<text x="${(left + W - right) / 2}" y="${H - 16}" text-anchor="middle">${esc(o.xLabel)}</text>`);
  parts.push(`<text x="18" y="${(top + H - bottom) / 2}" text-anchor="middle" transform="rotate(-90 18 ${(top + H - bottom) / 2})">${esc(o.yLabel)}</text>`);
  o.series.forEach((s, i) => {
    const colour = COLOURS[i % COLOURS.length]!;
    const pts = s.points.filter((p): p is [number, number] => p[1] !== undefined && p[1] > 0);
    if (pts.length > 1) parts.push(`<polyline fill="none" stroke="${colour}" stroke-width="2" points="${pts.map(([x, y]) => `${px(x).toFixed(1)},${py(y).toFixed(1)}`).join(' ')}"/>`);
    for (const [x, y] of pts) parts.push(`<circle cx="${px(x).toFixed(1)}" cy="${py(y).toFixed(1)}" r="3.5" fill="${colour}"><title>${esc(`${s.label}: ${fmtMs(y)} ms at ${fmtSize(x)}`)}</title></circle>`);
    const ly = top + 10 + i * 20;
    parts.push(`<line x1="${W - right + 16}" x2="${W - right + 40}" y1="${ly}" y2="${ly}" stroke="${colour}" stroke-width="2"/>`);
    parts.push(`<text x="${W - right + 46}" y="${ly + 4}">${esc(s.label)}</text>`);
  });
  parts.push('</svg>');
  return `${parts.join('\n')}\n`;
}
