/** The bench's one table (printed) and the same figures as JSON (bench/results.json). */
export class Report {
  private readonly rows: { figure: string; value: string }[] = [];
  readonly results: Record<string, unknown>;

  constructor(meta: Record<string, unknown>) {
    this.results = { ...meta };
  }

  row(figure: string, value: string): void {
    this.rows.push({ figure, value });
  }

  record(name: string, figures: unknown): void {
    this.results[name] = figures;
  }

  table(): string {
    const width = Math.max(...this.rows.map((row) => row.figure.length));
    return [
      `${'figure'.padEnd(width)}  value`,
      `${'-'.repeat(width)}  ${'-'.repeat(28)}`,
      ...this.rows.map((row) => `${row.figure.padEnd(width)}  ${row.value}`),
    ].join('\n');
  }
}

export const ms = (value: number | undefined, digits = 3) => `${(value ?? NaN).toFixed(digits)} ms`;

/** The p-th percentile (nearest rank) of values. */
export const percentile = (values: number[], p: number): number => {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
};
