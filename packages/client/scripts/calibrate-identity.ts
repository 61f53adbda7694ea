/**
 * Calibrates the identity guard's threshold: face-recognition descriptors (human faceres,
 * the real browser code in headless Chromium) of a few frames of every shared clip and of
 * every shared still; genuine pairs = same person (frames of one clip, or different clips
 * or stills of one person), impostor pairs = different people. Prints false-accept /
 * false-reject rates over thresholds, the EER, and the rates at `IDENTITY_THRESHOLD`.
 *
 *   nice npx tsx packages/client/scripts/calibrate-identity.ts [--frames 6] [--backend wasm] [--json out.json]
 */
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { basename, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { similarity } from '../src/identity/similarity.ts';
import { IDENTITY_THRESHOLD } from '../src/identity/threshold.ts';
import type { IdentityBackend } from '../src/identity/face-identity.ts';
import { openEnrollmentSession } from './enrollment-session.ts';
import { readImageRgba } from './image-file.ts';
import { SHARED_DATA_DIR } from './lib/paths.ts';
import { probeVideo } from './lib/video.ts';

/**
 * Shared files that show the same person (from ../shared/data/SOURCES.tsv descriptions and
 * by looking at them); every other clip or still is its own person.
 */
export const SAME_PERSON: Readonly<Record<string, readonly string[]>> = {
  // "AOC talking (HDTF)" ×2 and "AOC speaking" in SOURCES.tsv.
  aoc: ['clips/edtalk-pose_source1.mp4', 'clips/sadtalker-WDA_AlexandriaOcasioCortez_000.mp4', 'clips/retalking-3.mp4'],
  // Checked by eye. LivePortrait's stills and clips of the same name are NOT the same
  // person (d8.jpg is a curly-haired man, d8.mp4 a bearded one); d19.jpg is the man of d18.mp4.
  'liveportrait-d18': ['clips/liveportrait-d18.mp4', 'stills/liveportrait-d19.jpg'],
  'mona-lisa': ['stills/musetalk-monalisa.png', 'stills/liveportrait-s9.jpg'],
  musk: ['stills/musetalk-musk.png', 'stills/liveportrait-d12.jpg'],
  'sadtalker-happy': ['stills/sadtalker-happy.png', 'stills/sadtalker-sad.png'],
  'sadtalker-happy1': ['stills/sadtalker-happy1.png', 'stills/sadtalker-sad1.png'],
  // VoxCeleb ids: the still and the clip of one id show the same celebrity; pcavs-00002
  // is the same woman as 517600055 (seen when the closest "impostors" were checked by eye).
  'pcavs-517600055': ['clips/pcavs-517600055.mp4', 'stills/pcavs-517600055.jpg', 'clips/pcavs-00002.mp4'],
  'pcavs-741400163': ['clips/pcavs-741400163.mp4', 'stills/pcavs-741400163.jpg'],
};

export interface Sample {
  /** 'clips/x.mp4#3' or 'stills/y.png' */
  id: string;
  source: string;
  person: string;
  descriptor: number[];
  ms: number;
}

export interface Rates {
  threshold: number;
  far: number;
  frr: number;
  acceptedImpostors: number;
  rejectedGenuine: number;
}

export function personOf(source: string): string {
  for (const [person, files] of Object.entries(SAME_PERSON)) if (files.includes(source)) return person;
  return source;
}

export function pairScores(samples: readonly Sample[]): { genuine: number[]; impostor: number[]; crossSourceGenuine: number[] } {
  const genuine: number[] = [], impostor: number[] = [], crossSourceGenuine: number[] = [];
  for (let i = 0; i < samples.length; i++) {
    for (let j = i + 1; j < samples.length; j++) {
      const a = samples[i]!, b = samples[j]!;
      const s = similarity(a.descriptor, b.descriptor);
      if (a.person !== b.person) impostor.push(s);
      else {
        genuine.push(s);
        if (a.source !== b.source) crossSourceGenuine.push(s);
      }
    }
  }
  return { genuine, impostor, crossSourceGenuine };
}

export function ratesAt(threshold: number, genuine: readonly number[], impostor: readonly number[]): Rates {
  const acceptedImpostors = impostor.filter((s) => s >= threshold).length;
  const rejectedGenuine = genuine.filter((s) => s < threshold).length;
  return { threshold, far: acceptedImpostors / impostor.length, frr: rejectedGenuine / genuine.length, acceptedImpostors, rejectedGenuine };
}

/** Equal error rate by a sweep in steps of 0.001. */
export function equalErrorRate(genuine: readonly number[], impostor: readonly number[]): Rates & { eer: number } {
  let best: Rates | null = null;
  for (let t = -0.2; t <= 1; t += 0.001) {
    const r = ratesAt(Math.round(t * 1000) / 1000, genuine, impostor);
    if (!best || Math.abs(r.far - r.frr) < Math.abs(best.far - best.frr)) best = r;
  }
  return { ...best!, eer: (best!.far + best!.frr) / 2 };
}

const pct = (x: number) => `${(100 * x).toFixed(2)} %`;

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { frames: { type: 'string', default: '6' }, backend: { type: 'string', default: 'wasm' }, json: { type: 'string' }, from: { type: 'string' } } });
  const framesPerClip = Number(values.frames);
  let samples: Sample[] = [];
  let backend = values.backend;
  if (values.from) {
    samples = (JSON.parse(readFileSync(values.from, 'utf8')) as { samples: Sample[] }).samples.map((x) => ({ ...x, person: personOf(x.source) }));
  } else {
    const t0 = performance.now();
    const session = await openEnrollmentSession({ analyzer: false, identity: values.backend as IdentityBackend });
    backend = session.identityBackend ?? backend;
    console.error(`${backend} backend ready in ${(session.startupMs / 1000).toFixed(1)} s`);
    const misses: string[] = [];
    try {
      const add = async (source: string, id: string, path: string, seconds?: number) => {
        const img = await readImageRgba(path, seconds);
        const r = await session.describe(img);
        if (!r.face) {
          misses.push(id);
          return;
        }
        samples.push({ id, source, person: personOf(source), descriptor: Array.from(r.face.descriptor), ms: r.ms });
      };
      for (const f of readdirSync(resolve(SHARED_DATA_DIR, 'clips')).filter((x) => x.endsWith('.mp4')).sort()) {
        const path = resolve(SHARED_DATA_DIR, 'clips', f);
        const info = await probeVideo(path);
        const duration = info.durationS ?? (info.frameCount ?? 25) / info.fps;
        for (let k = 0; k < framesPerClip; k++) await add(`clips/${f}`, `clips/${f}#${k}`, path, ((k + 0.5) / framesPerClip) * duration * 0.98);
        console.error(`  ${f}: ${samples.filter((s) => s.source === `clips/${f}`).length}/${framesPerClip} frames with a face`);
      }
      for (const f of readdirSync(resolve(SHARED_DATA_DIR, 'stills')).sort()) await add(`stills/${f}`, `stills/${f}`, resolve(SHARED_DATA_DIR, 'stills', f));
    } finally {
      await session.close();
    }
    console.error(`${samples.length} descriptors in ${((performance.now() - t0) / 1000).toFixed(0)} s; no face: ${misses.join(', ') || 'none'}`);
  }
  if (values.json) writeFileSync(values.json, JSON.stringify({ backend, samples }));

  const people = new Set(samples.map((s) => s.person));
  const { genuine, impostor, crossSourceGenuine } = pairScores(samples);
  const eer = equalErrorRate(genuine, impostor);
  const ms = samples.map((s) => s.ms).sort((a, b) => a - b);
  console.log(`backend ${backend}; ${samples.length} samples (${new Set(samples.map((s) => s.source)).size} clips/stills, ${people.size} people); ${genuine.length} genuine pairs (${crossSourceGenuine.length} across clips/stills), ${impostor.length} impostor pairs`);
  console.log(`ms per descriptor (detect + mesh + faceres): median ${ms[ms.length >> 1]!.toFixed(0)}, p90 ${ms[Math.floor(ms.length * 0.9)]!.toFixed(0)}`);
  console.log(`EER ${pct(eer.eer)} at threshold ${eer.threshold.toFixed(3)}`);
  console.log('\n| threshold | FAR | FRR (all genuine) | FRR (across clips/stills) |\n|---|---|---|---|');
  const ts = [0.4, 0.45, 0.5, 0.55, 0.6, 0.65, 0.7, IDENTITY_THRESHOLD].filter((t, i, a) => a.indexOf(t) === i).sort((a, b) => a - b);
  for (const t of ts) {
    const r = ratesAt(t, genuine, impostor), c = ratesAt(t, crossSourceGenuine, impostor);
    console.log(`| ${t.toFixed(3)}${t === IDENTITY_THRESHOLD ? ' (IDENTITY_THRESHOLD)' : ''} | ${pct(r.far)} (${r.acceptedImpostors}/${impostor.length}) | ${pct(r.frr)} (${r.rejectedGenuine}/${genuine.length}) | ${pct(c.frr)} (${c.rejectedGenuine}/${crossSourceGenuine.length}) |`);
  }
  const q = (a: number[], p: number) => [...a].sort((x, y) => x - y)[Math.floor(p * (a.length - 1))]!;
  console.log(`\ngenuine: min ${q(genuine, 0).toFixed(3)} p1 ${q(genuine, 0.01).toFixed(3)} median ${q(genuine, 0.5).toFixed(3)}; impostor: median ${q(impostor, 0.5).toFixed(3)} p99 ${q(impostor, 0.99).toFixed(3)} max ${q(impostor, 1).toFixed(3)}`);
  // The closest impostors (a check on the person grouping) and the farthest genuine pairs.
  const pairs: { a: string; b: string; s: number; same: boolean }[] = [];
  for (let i = 0; i < samples.length; i++) for (let j = i + 1; j < samples.length; j++) {
    const a = samples[i]!, b = samples[j]!;
    pairs.push({ a: a.id, b: b.id, s: similarity(a.descriptor, b.descriptor), same: a.person === b.person });
  }
  const top = pairs.filter((p) => !p.same).sort((x, y) => y.s - x.s).slice(0, 12);
  const low = pairs.filter((p) => p.same).sort((x, y) => x.s - y.s).slice(0, 8);
  console.log('\nclosest impostor pairs:\n' + top.map((p) => `  ${p.s.toFixed(3)} ${p.a} ~ ${p.b}`).join('\n'));
  console.log('farthest genuine pairs:\n' + low.map((p) => `  ${p.s.toFixed(3)} ${p.a} ~ ${p.b}`).join('\n'));
}

if (process.argv[1] && basename(process.argv[1]) === 'calibrate-identity.ts') {
  main().catch((err: unknown) => {
    console.error(err instanceof Error ? err.message : err);
    process.exit(1);
  });
}
