/**
 * Per-stage timing of an eval run, printed at the end of every run (and kept in the JSON as
 * details.stages_s). Stages are busy times: some run at the same time (the codec encoder runs
 * in ffmpeg beside the page; tracking and faceres run in two workers at once), so their sum can
 * exceed the wall-clock total.
 */

export interface StageTime { ms: number; n: number }

export class StageProfile {
  readonly stages = new Map<string, StageTime>();
  private readonly t0 = performance.now();

  add(stage: string, ms: number, n = 1): void {
    const s = this.stages.get(stage) ?? { ms: 0, n: 0 };
    s.ms += ms;
    s.n += n;
    this.stages.set(stage, s);
  }

  async time<T>(stage: string, fn: () => Promise<T>, n = 1): Promise<T> {
    const t = performance.now();
    try {
      return await fn();
    } finally {
      this.add(stage, performance.now() - t, n);
    }
  }

  wallMs(): number {
    return performance.now() - this.t0;
  }

  /** Seconds per stage (0.1 s resolution), in insertion order. */
  record(): Record<string, number> {
    return Object.fromEntries([...this.stages].map(([k, v]) => [k, Math.round(v.ms / 100) / 10]));
  }
}

/** A text table of stage seconds (from `record()` or a stored JSON), sorted as given, with % of the wall time. */
export function formatStages(stages: Record<string, number>, wallS: number, note = ''): string {
  const rows = Object.entries(stages);
  const w = Math.max(5, ...rows.map(([k]) => k.length));
  const lines = [`timing: ${wallS.toFixed(1)} s wall${note ? ` (${note})` : ''}; busy seconds per stage (overlapping stages run at the same time):`];
  for (const [k, s] of rows) lines.push(`  ${k.padEnd(w)} ${s.toFixed(1).padStart(7)} s ${wallS > 0 ? `${((100 * s) / wallS).toFixed(0).padStart(4)} %` : ''}`);
  return lines.join('\n');
}
