import { describe, expect, it } from 'vitest';
import { AudioPlayoutSampler, LipSync } from './lip-sync.ts';

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

describe('AudioPlayoutSampler', () => {
  const receiver = (reports: Record<string, unknown>[][]) => {
    let i = 0;
    return { getStats: async () => new Map(reports[Math.min(i++, reports.length - 1)]!.map((s, k) => [String(k), s])) as unknown as RTCStatsReport };
  };
  const pair = { type: 'candidate-pair', state: 'succeeded', nominated: true, currentRoundTripTime: 0.02 };

  it("uses the sender's clock when the browser maps the audio to it", async () => {
    const sampler = new AudioPlayoutSampler(receiver([[{ type: 'inbound-rtp', kind: 'audio', timestamp: 1_000_000, estimatedPlayoutTimestamp: 2_208_988_800_000 + 999_900 }]]));
    expect(await sampler.sample()).toEqual({ captureMs: 999_900, atMs: 1_000_000, source: 'sender-clock' });
  });

  it("otherwise estimates from the round trip and the jitter buffer's recent delay", async () => {
    const sampler = new AudioPlayoutSampler(
      receiver([
        [{ type: 'inbound-rtp', kind: 'audio', timestamp: 1_000_000, jitterBufferDelay: 48, jitterBufferEmittedCount: 480_000 }, pair],
        // 48,000 more samples that waited 0.06 s each on average.
        [{ type: 'inbound-rtp', kind: 'audio', timestamp: 1_001_000, jitterBufferDelay: 48 + 2_880, jitterBufferEmittedCount: 528_000 }, pair],
      ]),
    );
    const first = await sampler.sample(); // cumulative mean so far: 48 s / 480,000 samples = 0.1 ms
    expect(first!.source).toBe('estimate');
    expect(first!.captureMs).toBeCloseTo(1_000_000 - (30 + 20 + 0.1), 6);
    const second = await sampler.sample();
    expect(second!.captureMs).toBeCloseTo(1_001_000 - (30 + 20 + 60), 6);
  });

  it('returns null without inbound audio stats', async () => {
    expect(await new AudioPlayoutSampler(receiver([[pair]])).sample()).toBeNull();
  });
});
