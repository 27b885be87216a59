/** A dependency-free SVG chart: throughput and peak RSS against feed size, SDK vs baseline. */
interface Series {
  name: string;
  color: string;
  points: { x: number; y: number }[];
}

function panel(
  title: string,
  unit: string,
  series: Series[],
  left: number,
  width: number,
  height: number,
): string {
  const xs = series.flatMap((s) => s.points.map((p) => p.x));
  const ys = series.flatMap((s) => s.points.map((p) => p.y));
  const maxX = Math.max(...xs);
  const maxY = Math.max(...ys) * 1.15;
  const px = (x: number) => left + 50 + (x / maxX) * (width - 70);
  const py = (y: number) => 40 + (1 - y / maxY) * (height - 80);
  const grid = [0, 0.25, 0.5, 0.75, 1]
    .map(
      (f) =>
        `<line x1="${left + 50}" x2="${left + width - 20}" y1="${py(maxY * f)}" y2="${py(maxY * f)}" stroke="#eee"/><text x="${left + 45}" y="${py(maxY * f) + 4}" font-size="10" text-anchor="end">${Math.round(maxY * f)}</text>`,
    )
    .join('');
  const ticks = [...new Set(xs)]
    .map(
      (x) =>
        `<text x="${px(x)}" y="${height - 25}" font-size="10" text-anchor="middle">${x / 1000}k</text>`,
    )
    .join('');
  const lines = series
    .map((s) => {
      const d = s.points
        .map((p, i) => `${i ? 'L' : 'M'}${px(p.x).toFixed(1)},${py(p.y).toFixed(1)}`)
        .join(' ');
      const dots = s.points
        .map((p) => `<circle cx="${px(p.x)}" cy="${py(p.y)}" r="3" fill="${s.color}"/>`)
        .join('');
      return `<path d="${d}" fill="none" stroke="${s.color}" stroke-width="2"/>${dots}`;
    })
    .join('');
  const legend = series
    .map(
      (s, i) =>
        `<rect x="${left + 60}" y="${48 + i * 14}" width="10" height="3" fill="${s.color}"/><text x="${left + 75}" y="${52 + i * 14}" font-size="10">${s.name}</text>`,
    )
    .join('');
  return `<text x="${left + width / 2}" y="20" font-size="13" text-anchor="middle" font-weight="bold">${title}</text><text x="${left + 12}" y="${height / 2}" font-size="10" transform="rotate(-90 ${left + 12} ${height / 2})" text-anchor="middle">${unit}</text>${grid}${ticks}<text x="${left + width / 2}" y="${height - 8}" font-size="10" text-anchor="middle">patients in the feed</text>${lines}${legend}`;
}

export function chart(throughput: Series[], memory: Series[]): string {
  const w = 420;
  const h = 300;
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${2 * w}" height="${h}" font-family="sans-serif"><rect width="100%" height="100%" fill="white"/>${panel('Sync throughput', 'patients / s', throughput, 0, w, h)}${panel('Peak RSS of the syncing process', 'MB', memory, w, w, h)}</svg>\n`;
}
