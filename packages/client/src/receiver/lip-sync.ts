/**
 * Lip sync: the landmark track and the audio are stamped on the sender's wall clock
 * (landmark capture time; the audio's RTCP sender reports map RTP time to NTP). The
 * browser reports which sender capture time of the audio is playing out now
 * (`estimatedPlayoutTimestamp`, NTP ms); the avatar renders that same capture time.
 */
const NTP_UNIX_OFFSET_MS = 2_208_988_800_000;

export interface AudioPlayoutSample {
  /** Sender capture time (Unix ms) of the audio playing out at `atMs`. */
  captureMs: number;
  /** Wall-clock time (Unix ms, `performance.timeOrigin + performance.now()`) of the sample. */
  atMs: number;
}

/** Reads the audio's current playout position from an RTCRtpReceiver's stats; null if unknown. */
export async function sampleAudioPlayout(receiver: { getStats(): Promise<RTCStatsReport> }): Promise<AudioPlayoutSample | null> {
  const report = await receiver.getStats();
  let sample: AudioPlayoutSample | null = null;
  report.forEach((s: { type: string; kind?: string; estimatedPlayoutTimestamp?: number; timestamp: number }) => {
    if (s.type === 'inbound-rtp' && s.kind === 'audio' && s.estimatedPlayoutTimestamp) {
      const captureMs = s.estimatedPlayoutTimestamp - NTP_UNIX_OFFSET_MS;
      // Stats timestamps are on the performance timeline's origin-shifted clock (Unix ms).
      sample = { captureMs, atMs: s.timestamp };
    }
  });
  return sample;
}

/**
 * Extra playout delay (ms) for the landmark track so it lands on the audio: a slow
 * follower of (rendered capture time − audio capture time), never negative — video
 * can wait for audio; audio is never delayed for video.
 */
export class LipSync {
  #extraMs = 0;
  #offsetMs: number | null = null;

  /** Last measured video-minus-audio offset (ms, positive: video ahead). */
  get offsetMs(): number | null {
    return this.#offsetMs;
  }

  get extraDelayMs(): number {
    return this.#extraMs;
  }

  update(renderedCaptureMs: number, audio: AudioPlayoutSample, nowMs: number): void {
    const audioNow = audio.captureMs + (nowMs - audio.atMs);
    const offset = renderedCaptureMs - audioNow;
    if (!Number.isFinite(offset) || Math.abs(offset) > 5_000) return;
    this.#offsetMs = offset;
    this.#extraMs = Math.max(0, Math.min(1_000, this.#extraMs + 0.2 * offset));
  }
}
