/** What the benchmarks share: argument checks (a bad value prints `<tool>: …` and exits with status 2) and percentiles. */
export function usageError(tool: string, message: string): never {
  console.error(`${tool}: ${message}`);
  process.exit(2);
}

export function positiveInt(tool: string, name: string, raw: string, max: number): number {
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1 || n > max) usageError(tool, `--${name} must be an integer in [1, ${max}], got ${JSON.stringify(raw)}`);
  return n;
}

/** The p-th percentile (0–100) of ascending `sorted` (the sample at ⌊p/100·n⌋, the largest for 100); NaN when empty. */
export function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
}
