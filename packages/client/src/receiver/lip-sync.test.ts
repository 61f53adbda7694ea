import { describe, expect, it } from 'vitest';
import { LipSync } from './lip-sync.ts';

describe('LipSync', () => {
  it('delays video that runs ahead of the audio, and converges', () => {
    const sync = new LipSync();
    // Video renders capture time T while the audio plays T − 80 ms.
    for (let i = 0; i < 50; i++) {
      const rendered = 10_000 + i * 33 - sync.extraDelayMs;
      sync.update(rendered + 80, { captureMs: 10_000 + i * 33, atMs: i * 33 }, i * 33);
    }
    expect(sync.extraDelayMs).toBeGreaterThan(60);
    expect(sync.extraDelayMs).toBeLessThan(100);
  });

  it('never delays when video is behind, and ignores absurd offsets', () => {
    const sync = new LipSync();
    sync.update(9_900, { captureMs: 10_000, atMs: 0 }, 0);
    expect(sync.extraDelayMs).toBe(0);
    sync.update(1e9, { captureMs: 10_000, atMs: 0 }, 0);
    expect(sync.extraDelayMs).toBe(0);
  });
});
