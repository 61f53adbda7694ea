/**
 * Lip sync: the landmark track is stamped with the sender's capture time (wall clock).
 * The avatar renders the capture time whose audio is playing out now: known exactly when
 * the browser maps the audio to the sender's clock (`estimatedPlayoutTimestamp`, from
 * RTCP sender reports), estimated from the audio's network and jitter-buffer delay
 * otherwise (`AudioPlayoutSampler`).
 */
const NTP_UNIX_OFFSET_MS = 2_208_988_800_000;

export interface AudioPlayoutSample {
  /** Sender capture time (Unix ms) of the audio playing out at `atMs`. */
  captureMs: number;
  /** Wall-clock time (Unix ms, `performance.timeOrigin + performance.now()`) of the sample. */
  atMs: number;
  /** Mapped on the sender's clock, or estimated from the audio's delays. */
  source?: 'sender-clock' | 'estimate';
}

/** Opus frame (20 ms) plus the sound card's output buffer (~10 ms), ms: audio latency outside the stats. */
const AUDIO_FIXED_LATENCY_MS = 30;

interface InboundAudioStats {
  type: string;
  kind?: string;
  timestamp: number;
  estimatedPlayoutTimestamp?: number;
  jitterBufferDelay?: number;
  jitterBufferEmittedCount?: number;
}

/**
 * Reads where the speaker's audio is in its playout from an RTCRtpReceiver's stats.
 *
 * Exact when the browser reports `estimatedPlayoutTimestamp` (the sender's NTP capture
 * time of the audio playing now, from RTCP sender reports). Chromium does not report it
 * for audio relayed by mediasoup here, so otherwise it is estimated: capture → playout ≈
 * the round trip to the server (both legs, taking ours as typical) + the audio jitter
 * buffer's current delay (from the growth of `jitterBufferDelay` / `jitterBufferEmittedCount`)
 * + the Opus frame and output buffer. `source` says which.
 */
export class AudioPlayoutSampler {
  #lastDelay = 0;
  #lastCount = 0;
  readonly #receiver: { getStats(): Promise<RTCStatsReport> };

  constructor(receiver: { getStats(): Promise<RTCStatsReport> }) {
    this.#receiver = receiver;
  }

  async sample(): Promise<AudioPlayoutSample | null> {
    const report = await this.#receiver.getStats();
    let inbound: InboundAudioStats | null = null;
    let rttS: number | null = null;
    report.forEach((s: InboundAudioStats & { state?: string; nominated?: boolean; currentRoundTripTime?: number }) => {
      if (s.type === 'inbound-rtp' && s.kind === 'audio') inbound = s;
      if (s.type === 'candidate-pair' && s.state === 'succeeded' && s.nominated && typeof s.currentRoundTripTime === 'number') rttS = s.currentRoundTripTime;
    });
    const a = inbound as InboundAudioStats | null;
    if (!a) return null;
    // Stats timestamps are on the performance timeline's origin-shifted clock (Unix ms).
    if (a.estimatedPlayoutTimestamp) return { captureMs: a.estimatedPlayoutTimestamp - NTP_UNIX_OFFSET_MS, atMs: a.timestamp, source: 'sender-clock' };
    const delay = a.jitterBufferDelay ?? 0;
    const count = a.jitterBufferEmittedCount ?? 0;
    const dCount = count - this.#lastCount;
    const jitterS = dCount > 0 ? (delay - this.#lastDelay) / dCount : count > 0 ? delay / count : null;
    this.#lastDelay = delay;
    this.#lastCount = count;
    if (jitterS === null) return null;
    const latencyMs = AUDIO_FIXED_LATENCY_MS + (rttS ?? 0) * 1000 + jitterS * 1000;
    return { captureMs: a.timestamp - latencyMs, atMs: a.timestamp, source: 'estimate' };
  }
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
