/** Scraping the metrics endpoint over a real socket, and reading samples out of the Prometheus text. */
import { expect } from 'vitest';

export interface Scrape {
  text: string;
  /** Sample value by series as printed (`name{a="1",b="2"}`); undefined when absent. */
  value(series: string): number | undefined;
  /** Every series of metric `name`, as printed. */
  seriesOf(name: string): string[];
}

/** GET /metrics; asserts the 200 and the exposition content type. */
export async function scrape(port: number): Promise<Scrape> {
  const res = await fetch(`http://127.0.0.1:${port}/metrics`);
  const text = await res.text();
  expect(res.status, text).toBe(200);
  expect(res.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8');
  return parseScrape(text);
}

export function parseScrape(text: string): Scrape {
  const samples = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const cut = line.lastIndexOf(' ');
    samples.set(line.slice(0, cut), Number(line.slice(cut + 1)));
  }
  return {
    text,
    value: (series) => samples.get(series),
    seriesOf: (name) => [...samples.keys()].filter((series) => series === name || series.startsWith(`${name}{`)),
  };
}
