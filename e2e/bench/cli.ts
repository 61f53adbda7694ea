/** Argument checks shared by the benchmarks: a bad value prints `<tool>: …` and exits with status 2. */
export function usageError(tool: string, message: string): never {
  console.error(`${tool}: ${message}`);
  process.exit(2);
}

export function positiveInt(tool: string, name: string, raw: string, max: number): number {
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1 || n > max) usageError(tool, `--${name} must be an integer in [1, ${max}], got ${JSON.stringify(raw)}`);
  return n;
}
