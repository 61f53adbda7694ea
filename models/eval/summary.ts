/** The RESULTS.md section of the benchmark: per-run summary rows, means, and optionally full tables. */
import type { CodecName } from './codecs.ts';
import type { Equivalent } from './equivalent.ts';
import { formatResult } from './report.ts';
import { fmt, type EvalResult } from './run.ts';

export const RESULTS_HEADING = '## Quality benchmark (npm run eval)';

const eqs = (e: Equivalent | undefined): string => (e === undefined || e === null ? '–' : typeof e === 'string' ? e : e.toFixed(1));
const sav = (e: Equivalent | undefined): string => (typeof e === 'number' ? `${e.toFixed(1)}×` : eqs(e));

function numericMean(xs: (number | null | undefined)[]): number | null {
  const v = xs.filter((x): x is number => typeof x === 'number' && Number.isFinite(x));
  return v.length ? v.reduce((s, x) => s + x, 0) / v.length : null;
}

/** "mean (n numeric; k below, m above)" for a column of equivalents. */
function eqMean(xs: (Equivalent | undefined)[], suffix = ''): string {
  const nums = xs.filter((x): x is number => typeof x === 'number');
  const below = xs.filter((x) => x === 'below').length, above = xs.filter((x) => x === 'above').length;
  const m = numericMean(nums);
  const parts = [m === null ? '–' : `${m.toFixed(1)}${suffix}`];
  if (below || above) parts.push(`(${[below ? `${below} below` : '', above ? `${above} above` : ''].filter(Boolean).join(', ')})`);
  return parts.join(' ');
}

const CODECS: CodecName[] = ['h264', 'vp8', 'av1'];

export function summaryTable(results: readonly EvalResult[]): string {
  const head = ['clip', 'size', 'K', 'scored', 'ours kbit/s', 'SSIM', 'PSNR', 'AKD px', 'CSIM', 'face', 'static CSIM / AKD',
    ...CODECS.map((c) => `${c} CSIM ≙ kbit/s (saving)`), ...CODECS.map((c) => `${c} AKD ≙ kbit/s (saving)`), ...CODECS.map((c) => `${c} SSIM ≙`)];
  const lines = [`| ${head.join(' | ')} |`, `|${head.map(() => '---').join('|')}|`];
  for (const r of results) {
    lines.push(`| ${[r.clip.replace(/\.mp4$/, ''), r.size, r.shots, r.frames, r.ours.kbps.toFixed(2), fmt(r.ours.ssim, 3), fmt(r.ours.psnr, 1), fmt(r.ours.akd, 2), fmt(r.ours.csim, 3),
      r.ours.face_rate === null ? '–' : `${(100 * r.ours.face_rate).toFixed(0)} %`, `${fmt(r.static.csim, 3)} / ${fmt(r.static.akd, 2)}`,
      ...CODECS.map((c) => `${eqs(r.equivalent_kbps[c]?.csim)} (${sav(r.saving[c]?.csim)})`),
      ...CODECS.map((c) => `${eqs(r.equivalent_kbps[c]?.akd)} (${sav(r.saving[c]?.akd)})`),
      ...CODECS.map((c) => eqs(r.equivalent_kbps[c]?.ssim))].join(' | ')} |`);
  }
  for (const size of [...new Set(results.map((r) => r.size))].sort((a, b) => a - b)) {
    const rs = results.filter((r) => r.size === size);
    if (rs.length < 2) continue;
    const m = (f: (r: EvalResult) => number | null) => numericMean(rs.map(f));
    lines.push(`| **mean of ${rs.length}** | ${size} | | | ${fmt(m((r) => r.ours.kbps), 2)} | ${fmt(m((r) => r.ours.ssim), 3)} | ${fmt(m((r) => r.ours.psnr), 1)} | ${fmt(m((r) => r.ours.akd), 2)} | ${fmt(m((r) => r.ours.csim), 3)} | ${fmt(m((r) => r.ours.face_rate === null ? null : 100 * r.ours.face_rate), 0)} % | ${fmt(m((r) => r.static.csim), 3)} / ${fmt(m((r) => r.static.akd), 2)} | ` +
      [...CODECS.map((c) => `saving ${eqMean(rs.map((r) => r.saving[c]?.csim), '×')}`), ...CODECS.map((c) => `saving ${eqMean(rs.map((r) => r.saving[c]?.akd), '×')}`), ...CODECS.map((c) => eqMean(rs.map((r) => r.equivalent_kbps[c]?.ssim)))].join(' | ') + ' |');
  }
  return lines.join('\n');
}

/** Whether a saving meets a target: 'above' (the ladder never reaches ours) does, 'below' does not. */
function meets(e: Equivalent | undefined, target: number): boolean {
  return e === 'above' || (typeof e === 'number' && e >= target);
}

/** One line per size: how many clips meet each of issue 7's targets. */
export function targetsLines(results: readonly EvalResult[]): string[] {
  const out: string[] = [];
  for (const size of [...new Set(results.map((r) => r.size))].sort((a, b) => a - b)) {
    const rs = results.filter((r) => r.size === size);
    const n = rs.length;
    const count = (f: (r: EvalResult) => boolean) => `${rs.filter(f).length}/${n}`;
    const parts = [
      `CSIM saving ≥ 10× vs H.264 on ${count((r) => meets(r.saving.h264?.csim, 10))} clips, ≥ 5× vs AV1 on ${count((r) => meets(r.saving.av1?.csim, 5))}`,
      `AKD saving ≥ 10× vs H.264 on ${count((r) => meets(r.saving.h264?.akd, 10))}, ≥ 5× vs AV1 on ${count((r) => meets(r.saving.av1?.akd, 5))}`,
      `face found in 100 % of scored frames on ${count((r) => r.ours.face_rate === 1)}`,
    ];
    if (size === 256) parts.push(`AKD ≤ 2 px on ${count((r) => r.ours.akd !== null && r.ours.akd <= 2)}`);
    out.push(`- Issue 7's targets at ${size} px: ${parts.join('; ')}.`);
  }
  return out;
}

export interface SummaryContext {
  command: string;
  date: string;
  machine: string;
  runtimes: { clip: string; size: number; seconds: number }[];
  fullTables: boolean;
  /** Clips the batch was asked to cover, and its sizes (for the coverage line). */
  clipsTotal?: number;
  sizes?: number[];
  /** Clips not run at a size because their face crop is smaller than it in the source. */
  skipped?: { clip: string; size: number; faceSide: number }[];
}

/** "256 px: 12 of 40 clips; 512 px: 3 of 11 clips with a face crop ≥ 512 px in the source (29 smaller, skipped)" */
export function coverageLine(results: readonly EvalResult[], clipsTotal: number, sizes: readonly number[], skipped: SummaryContext['skipped'] = []): string {
  return sizes.map((size) => {
    const done = results.filter((r) => r.size === size).length;
    const skip = skipped.filter((s) => s.size === size).length;
    return skip
      ? `${size} px: ${done} of ${clipsTotal - skip} clips with a face crop ≥ ${size} px in the source (${skip} smaller, skipped: an upscale)`
      : `${size} px: ${done} of ${clipsTotal} clips`;
  }).join('; ');
}

function runtimeSummary(runtimes: SummaryContext['runtimes']): string {
  const bySize = new Map<number, number[]>();
  for (const t of runtimes) bySize.set(t.size, [...(bySize.get(t.size) ?? []), t.seconds]);
  return [...bySize].sort((a, b) => a[0] - b[0]).map(([size, xs]) => {
    const sorted = xs.slice().sort((a, b) => a - b);
    const worst = runtimes.filter((t) => t.size === size).sort((a, b) => b.seconds - a.seconds)[0]!;
    return `@${size}: median ${sorted[Math.floor(sorted.length / 2)]!.toFixed(0)} s, longest ${worst.seconds.toFixed(0)} s (${worst.clip}), ${xs.length} run(s)`;
  }).join('; ');
}

/** How the sender tracked the clip and where the shots' landmarks came from (results before session 24 carry neither field). */
export function senderLine(d: EvalResult['details']): string {
  const mode = d.track_mode ?? 'video';
  const smoothed = d.track_smoothing ? ', One-Euro smoothed' : '';
  const shots = (d.enrollment.landmarks ?? 'track') === 'stills' ? 'the K shots measured on their own, as photos are' : "the K shots' landmarks read off that track";
  return `${mode === 'video' ? "MediaPipe's VIDEO mode" : 'every frame measured afresh'}${smoothed}; ${shots}`;
}

export function resultsSection(results: readonly EvalResult[], ctx: SummaryContext): string {
  const r0 = results[0];
  const out: string[] = [];
  const gens = [...new Set(results.map((r) => r.details.generator))].join('/') || 'warp';
  out.push(`Self-reenactment (issue 7): enroll the ${gens} avatar from K frames of the first 20 % of a clip, drive it with the rest of the clip's landmarks after a real encode → decode through the landmark codec, and compare each generated frame with the real one on the same ${results.map((r) => r.size).filter((v, i, a) => a.indexOf(v) === i).join('/')} px face crop; the same crops and frames go through x264, VP8 and SVT-AV1 CBR ladders and a static enrollment frame. "≙" is the equivalent bitrate (the codec's rate where its curve, interpolated on log-bitrate, reaches our score; "below" = even its lowest reachable rate is better, "above" = its ladder up to ~300 kbit/s never gets there); saving = equivalent ÷ our bitrate.`);
  out.push('');
  out.push(`Command: \`${ctx.command}\` (${ctx.date}, ${ctx.machine}).`);
  out.push('');
  if (ctx.clipsTotal !== undefined && ctx.sizes) {
    out.push(`**Coverage: ${coverageLine(results, ctx.clipsTotal, ctx.sizes, ctx.skipped)}** (the batch is resumable: re-running the command evaluates only the clips still missing).`);
    out.push('');
  }
  if (r0) {
    const d = r0.details;
    out.push(`- Where it runs: tracking, landmark decoding, the ${d.generator} generator (${d.generator_backend} backend) and CSIM in one headless Chromium page; enrollment and landmark encoding (sender side) in Node with the same client code.`);
    out.push(`- Sender: ${senderLine(d)}.`);
    out.push(`- CSIM: ${d.csim}.`);
    out.push(`- AKD: ${d.akd}. Face: fraction of scored frames where the tracker finds a face.`);
    out.push(`- Pixels: L1 (mean |Δ| RGB, 0–1), PSNR (RGB), SSIM (luma, 11×11 Gaussian σ 1.5) over the whole crop. Scored frames: at most 30 driven frames per clip (--max-eval-frames), every Nth (N in each JSON's details.scoring).${d.rung_subset ? ` Codec rungs: AKD, CSIM and face rate on a subset of those frames (--rung-frames 10: every ⌈n/10⌉-th usable scored frame, so 10 when 28–30 are scored and fewer for short clips; seeded phase; listed in details.rung_subset), pixel metrics on all; ours and static are measured on all scored frames (the table's columns) and, for the AKD/CSIM equivalents, on the same subset as the codecs.` : ''}`);
    out.push(`- Codecs: ${Object.entries(d.codec_settings).map(([c, s]) => `${c}: \`${s}\``).join('; ')}; GOP ${(d.codec_settings.h264 ?? '').match(/-g (\d+)/)?.[1] ?? '?'} frames at ${d.video.fps} fps for ${r0.clip} (every clip: a 2 s GOP). Bitrate = coded packet bytes (no container/transport) over the driven duration; ours = landmark packet bytes the same way (the one-off avatar embedding, ${d.enrollment.embedding_bytes} bytes for ${r0.clip}, is not counted).`);
    out.push(ctx.runtimes.length > 6
      ? `- Run time per clip (wall clock, on a 2-core machine shared with other jobs): ${runtimeSummary(ctx.runtimes)}; per clip and stage in each JSON's details.timings_s / stages_s.`
      : `- Run time per clip: ${ctx.runtimes.map((t) => `${t.clip} @${t.size} ${t.seconds.toFixed(0)} s`).join(', ')} (2-core machine shared with other jobs).`);
  }
  out.push('');
  out.push(...targetsLines(results));
  out.push('');
  out.push(summaryTable(results));
  if (ctx.fullTables) {
    for (const r of results) {
      out.push('');
      out.push(`### ${r.clip} @ ${r.size}`);
      out.push('');
      out.push(formatResult(r));
    }
  }
  return out.join('\n');
}
