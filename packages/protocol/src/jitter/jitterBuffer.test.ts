import { describe, expect, it } from 'vitest';
import { JitterBuffer, type BufferedFrame } from './jitterBuffer.ts';

/** Frame whose landmarks all equal `v` (so interpolation is easy to check). */
const frame = (t: number, v = t): BufferedFrame => ({ t, landmarks: new Float32Array(6).fill(v), blendshapes: new Float32Array(2).fill(0.5) });
const lost = (t: number): BufferedFrame => ({ t, landmarks: null, blendshapes: null });

describe('JitterBuffer', () => {
  it('waits before the first frame, then interpolates to the display time', () => {
    const jb = new JitterBuffer({ initialDelayMs: 50, minDelayMs: 50 });
    expect(jb.render(0).state).toBe('waiting');
    jb.push(frame(0), 10);
    jb.push(frame(33), 43);
    jb.push(frame(66), 76);
    // transit 10 → media = now − 10 − 50
    const r = jb.render(76 + 0.5); // media ≈ 16.5
    expect(r.state).toBe('live');
    expect(r.frame!.landmarks![0]).toBeCloseTo(16.5, 3);
  });

  it('reorders packets and drops duplicates and late ones', () => {
    const jb = new JitterBuffer({ initialDelayMs: 40, minDelayMs: 40 });
    jb.push(frame(33), 40);
    jb.push(frame(0), 45); // arrives after its successor
    jb.push(frame(0), 46); // duplicate
    expect(jb.render(26 + 7 + 40).frame!.landmarks![0]).toBeCloseTo(26, 3); // base transit 7 ms + 40 ms delay
    jb.push(frame(66), 80);
    jb.push(frame(100), 110);
    jb.render(100 + 7 + 40); // media ≈ 100
    jb.push(frame(20), 150); // far too late
    expect(jb.stats.duplicates).toBe(1);
    expect(jb.stats.late).toBe(1);
  });

  it('extrapolates, then holds, then reports face-lost after 200 ms', () => {
    const jb = new JitterBuffer({ initialDelayMs: 0, minDelayMs: 0, extrapolateMs: 100, concealMs: 200 });
    jb.push(frame(0, 0), 0);
    jb.push(frame(100, 10), 100); // velocity 0.1 per ms
    const at = (media: number) => jb.render(media);
    expect(at(100).state).toBe('live');
    const e = at(150);
    expect(e.state).toBe('concealed');
    expect(e.frame!.landmarks![0]).toBeCloseTo(15, 3);
    expect(at(250).frame!.landmarks![0]).toBeCloseTo(20, 3); // extrapolation capped at 100 ms → hold
    expect(at(299).state).toBe('concealed');
    expect(at(299).lost).toBeUndefined();
    const gone = at(301);
    expect(gone.state).toBe('lost');
    expect(gone.lost).toBe('no-data'); // nothing arrived: not the sender's camera
  });

  it('interpolates across a lost packet and reports a sender face-lost', () => {
    const jb = new JitterBuffer({ initialDelayMs: 0, minDelayMs: 0 });
    jb.push(frame(0), 0);
    jb.push(frame(66), 66); // 33 was lost
    expect(jb.render(33).frame!.landmarks![0]).toBeCloseTo(33, 3);
    jb.push(lost(100), 100);
    expect(jb.render(100)).toMatchObject({ state: 'lost', lost: 'no-face' });
    // The sender keeps saying so: still no-face once its last face frame is far behind.
    jb.push(lost(133), 133);
    jb.push(lost(600), 600);
    expect(jb.render(600)).toMatchObject({ state: 'lost', lost: 'no-face' });
    expect(jb.render(600 + 999)).toMatchObject({ state: 'lost', lost: 'no-face' });
    // Its face-lost packets stop too: past faceLostHoldMs it is the data that is missing.
    expect(jb.render(600 + 1001)).toMatchObject({ state: 'lost', lost: 'no-data' });
    // The same gap is no-data when a later frame fills it afterwards (the sender stalled, then came back).
    const gap = new JitterBuffer({ initialDelayMs: 0, minDelayMs: 0 });
    gap.push(frame(0), 0);
    gap.push(lost(33), 33);
    gap.push(frame(3000), 3000);
    expect(gap.render(500)).toMatchObject({ state: 'lost', lost: 'no-face' });
    expect(gap.render(1500)).toMatchObject({ state: 'lost', lost: 'no-data' });
  });

  it('interpolates a slow sender between its frames instead of reporting it lost', () => {
    // A sender whose tracker manages 4 frames a second (250 ms apart, more than concealMs).
    const run = (concealFrames: number) => {
      const jb = new JitterBuffer({ concealFrames });
      const states = new Map<string, number>();
      let pushed = 0;
      for (let now = 0; now < 5000; now += 16) {
        while (pushed * 250 + 30 <= now) jb.push(frame(pushed * 250), pushed++ * 250 + 30);
        const r = jb.render(now);
        if (now >= 1000) states.set(r.state, (states.get(r.state) ?? 0) + 1);
      }
      return { states, window: jb.concealWindowMs };
    };
    const slow = run(2);
    expect(slow.window).toBe(500);
    expect(slow.states.get('lost')).toBeUndefined();
    expect(slow.states.get('live')).toBeGreaterThan(20); // across the 250-ms gaps, for the target delay's part of each
    // Held to concealMs, the same sender is lost for a part of every frame interval.
    const fixed = run(0);
    expect(fixed.window).toBe(200);
    expect(fixed.states.get('lost')).toBeGreaterThan(20);
    expect(fixed.states.get('live') ?? 0).toBeLessThan(5);
  });

  it('still reports an outage as face-lost once the window of the sender\'s frame rate has passed', () => {
    for (const [step, window] of [[33, 200], [250, 500]] as const) {
      const jb = new JitterBuffer({ initialDelayMs: 0, minDelayMs: 0, marginMs: 0 });
      for (let i = 0; i <= 20; i++) jb.push(frame(i * step), i * step);
      // Outages (steps over 1 s) do not count as the sender's frame rate.
      expect(jb.concealWindowMs).toBe(window);
      const last = 20 * step;
      expect(jb.render(last + window - 1).state).toBe('concealed');
      expect(jb.render(last + window + 1).state).toBe('lost');
      jb.push(frame(last + 5000), last + 5000);
      expect(jb.concealWindowMs).toBe(window);
      jb.reset();
      expect(jb.concealWindowMs).toBe(200);
    }
  });

  it('raises the target delay when arrivals jitter and lowers it when they calm down', () => {
    const jb = new JitterBuffer({ initialDelayMs: 20, minDelayMs: 10, maxDelayMs: 300, slewMs: 5 });
    let x = 1;
    const rand = (): number => ((x = (x * 16807) % 2147483647) / 2147483647);
    for (let i = 0; i < 200; i++) {
      jb.push(frame(i * 33), i * 33 + 20 + rand() * 120);
      jb.render(i * 33 + 100);
    }
    expect(jb.targetDelayMs).toBeGreaterThan(90);
    for (let i = 200; i < 600; i++) {
      jb.push(frame(i * 33), i * 33 + 20);
      jb.render(i * 33 + 100);
    }
    expect(jb.targetDelayMs).toBeLessThan(40);
  });

  it('covers the configured quantile of the transit spread', () => {
    // 80 % of packets take 20 ms, 20 % take 120 ms: the 90th percentile sees the slow
    // ones (≈ 100 ms spread), the 75th does not (≈ 0 ms spread, min delay).
    const run = (quantile: number): number => {
      const jb = new JitterBuffer({ quantile, initialDelayMs: 50, minDelayMs: 10, marginMs: 0, slewMs: 1000 });
      for (let i = 0; i < 200; i++) {
        jb.push(frame(i * 33), i * 33 + (i % 5 === 0 ? 120 : 20));
        jb.render(i * 33 + 150);
      }
      return jb.targetDelayMs;
    };
    expect(run(0.9)).toBeCloseTo(100, 0);
    expect(run(0.75)).toBe(10);
  });

  it('validates options', () => {
    expect(() => new JitterBuffer({ quantile: 0 })).toThrow(TypeError);
    expect(() => new JitterBuffer({ quantile: 1.5 })).toThrow(TypeError);
    expect(() => new JitterBuffer({ minDelayMs: 100, maxDelayMs: 50 })).toThrow(TypeError);
    expect(() => new JitterBuffer({ concealMs: 50, extrapolateMs: 100 })).toThrow(TypeError);
    expect(() => new JitterBuffer({ marginMs: -1 })).toThrow(TypeError);
    expect(() => new JitterBuffer({ concealFrames: -1 })).toThrow(TypeError);
    expect(() => new JitterBuffer({ concealFrames: Number.NaN })).toThrow(TypeError);
    expect(() => new JitterBuffer().push(frame(Number.NaN), 0)).toThrow(TypeError);
  });
});
