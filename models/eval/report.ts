/** Text table of an eval result for stdout and RESULTS.md. */
import type { CodecName } from './codecs.ts';
import type { Equivalent } from './equivalent.ts';
import { fmt, HEADLINE_METRICS, type EvalResult, type Scores } from './run.ts';

const eq = (e: Equivalent | undefined, digits = 1): string => (e === undefined || e === null ? '–' : typeof e === 'string' ? e : e.toFixed(digits));

function row(name: string, kbps: number | string, s: Scores, extra = ''): string {
  const k = typeof kbps === 'number' ? kbps.toFixed(2) : kbps;
  return `| ${name} | ${k} | ${fmt(s.l1, 4)} | ${fmt(s.psnr, 2)} | ${fmt(s.ssim, 4)} | ${fmt(s.akd, 2)} | ${fmt(s.csim, 4)} | ${s.face_rate === null ? '–' : (100 * s.face_rate).toFixed(0) + ' %'} |${extra}`;
}

/** Markdown table of every variant plus the equivalent-bitrate / saving table. */
export function formatResult(r: EvalResult): string {
  const lines: string[] = [];
  lines.push(`${r.clip}: ${r.size}×${r.size} crop, K=${r.shots} shot(s), ${r.frames} scored frames (every ${r.details.scoring.every} of ${r.details.driven.count} driven), seed ${r.details.seed}`);
  lines.push('');
  lines.push('| variant | kbit/s | L1 | PSNR dB | SSIM | AKD px | CSIM | face |');
  lines.push('|---|---:|---:|---:|---:|---:|---:|---:|');
  lines.push(row(`ours (${r.details.generator}, ${r.ours.fps_render.toFixed(1)} fps)`, r.ours.kbps, r.ours));
  lines.push(row('static (enrollment frame)', 0, r.static));
  for (const [c, rungs] of Object.entries(r.codecs) as [CodecName, EvalResult['codecs'][CodecName]][]) {
    for (const g of rungs ?? []) lines.push(row(c, g.kbps, g));
  }
  const sub = r.details.rung_subset;
  if (sub) {
    lines.push('');
    lines.push(`Codec rungs: AKD, CSIM and face rate on ${sub.frames} of the ${r.frames} scored frames (evenly spaced, seeded subset: ${sub.indices.join(', ')}); L1/PSNR/SSIM on all ${r.frames}. On the same ${sub.frames} frames ours has AKD ${fmt(sub.ours.akd, 2)}, CSIM ${fmt(sub.ours.csim, 4)}, face ${sub.ours.face_rate === null ? '–' : (100 * sub.ours.face_rate).toFixed(0) + ' %'} (static: AKD ${fmt(sub.static.akd, 2)}, CSIM ${fmt(sub.static.csim, 4)}); the AKD and CSIM equivalents below compare these.`);
  }
  if (Object.keys(r.equivalent_kbps).length === 0) return lines.join('\n'); // --codecs none
  lines.push('');
  lines.push(`| codec | ${HEADLINE_METRICS.map((m) => `equiv. kbit/s ${m.toUpperCase()}`).join(' | ')} | ${HEADLINE_METRICS.map((m) => `saving ${m.toUpperCase()}`).join(' | ')} |`);
  lines.push(`|---|${HEADLINE_METRICS.map(() => '---:|').join('')}${HEADLINE_METRICS.map(() => '---:|').join('')}`);
  for (const c of Object.keys(r.equivalent_kbps) as CodecName[]) {
    const e = r.equivalent_kbps[c]!, s = r.saving[c]!;
    lines.push(`| ${c} | ${HEADLINE_METRICS.map((m) => eq(e[m])).join(' | ')} | ${HEADLINE_METRICS.map((m) => (typeof s[m] === 'number' ? `${eq(s[m])}×` : eq(s[m]))).join(' | ')} |`);
  }
  return lines.join('\n');
}
