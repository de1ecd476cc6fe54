/**
 * What `bench/scripts.ts` prints and saves: latency rows (one per arm
 * measured) and derived figures (differences and ratios between arms of the
 * same run, each against its target from DESIGN.md §4 where there is one).
 */
import type { RunStats } from './stats.ts';

export interface Row {
  readonly section: string;
  readonly arm: string;
  readonly concurrency: number;
  readonly stats: RunStats;
}

export interface Figure {
  readonly section: string;
  readonly name: string;
  readonly value: number;
  readonly unit: string;
  /** Met when `value < target` (both in `unit`), or `value >= target` when `atLeast`. */
  readonly target?: number;
  readonly atLeast?: boolean;
  readonly met?: boolean;
  readonly note?: string;
}

export interface Skipped {
  readonly section: string;
  readonly reason: string;
}

const comparison = (figure: Pick<Figure, 'atLeast'>): string => (figure.atLeast ? '>=' : '<');
const f = (n: number, width = 8): string => (Number.isFinite(n) ? n.toFixed(0) : '-').padStart(width);

export class Report {
  /** Where the table goes: stdout unless told (the smoke test passes a no-op). */
  readonly #write: (text: string) => void;
  readonly rows: Row[] = [];
  readonly figures: Figure[] = [];
  readonly skipped: Skipped[] = [];
  readonly notes: string[] = [];

  constructor(write: (text: string) => void = (text) => process.stdout.write(text)) {
    this.#write = write;
  }

  /** A heading or any other free text for the table. */
  print(text: string): void {
    this.#write(text);
  }

  row(section: string, arm: string, concurrency: number, stats: RunStats): RunStats {
    this.rows.push({ section, arm, concurrency, stats });
    this.#write(
      `  ${arm.padEnd(30)} c=${String(concurrency).padEnd(3)} p50 ${f(stats.p50)} µs  p99 ${f(stats.p99)} µs  ${f(stats.throughput)} req/s  (n=${stats.count})\n`,
    );
    return stats;
  }

  figure(figure: Omit<Figure, 'met'>): void {
    const met = figure.target === undefined ? undefined : figure.atLeast ? figure.value >= figure.target : figure.value < figure.target;
    this.figures.push({ ...figure, met });
    const digits = Math.abs(figure.value) < 10 && figure.unit !== 'x' ? 1 : figure.unit === 'x' ? 2 : 0;
    const target = figure.target === undefined ? '' : `   target ${comparison(figure)} ${figure.target} ${figure.unit}: ${met ? 'MET' : 'MISSED'}`;
    const note = figure.note ? `   (${figure.note})` : '';
    this.#write(`  = ${figure.name.padEnd(48)} ${figure.value.toFixed(digits).padStart(9)} ${figure.unit}${target}${note}\n`);
  }

  skip(section: string, reason: string): void {
    this.skipped.push({ section, reason });
    this.#write(`  SKIPPED: ${reason}\n`);
  }

  note(text: string): void {
    this.notes.push(text);
    this.#write(`  ${text}\n`);
  }

  find(section: string, arm: string, concurrency: number): RunStats | undefined {
    return this.rows.find((r) => r.section === section && r.arm === arm && r.concurrency === concurrency)?.stats;
  }

  /** The targets, met or not, in one list at the end. */
  printSummary(): void {
    this.#write('\nTargets (DESIGN.md §4):\n');
    for (const figure of this.figures.filter((x) => x.target !== undefined)) {
      this.#write(`  ${figure.met ? 'MET   ' : 'MISSED'}  ${figure.section.padEnd(12)} ${figure.name.padEnd(48)} ${figure.value.toFixed(figure.unit === 'x' ? 2 : 1).padStart(9)} ${figure.unit} (${comparison(figure)} ${figure.target})\n`);
    }
    for (const skipped of this.skipped) this.#write(`  SKIPPED ${skipped.section.padEnd(12)} ${skipped.reason}\n`);
  }
}
