/**
 * Why a remote face moves in steps: the sender tracks few frames (a busy device), or the way
 * loses its packets (a weak link). Both thin out what arrives; the packets' sequence numbers tell
 * them apart. The sender numbers every packet it sends, so capture-time steps divided by sequence
 * steps are its own frame interval whatever was lost, and the sequence numbers missing from a
 * recent span are the loss.
 */

/** Below this many face frames a second motion is seen in steps (the sender's `trackingBehind` uses it too). */
export const MIN_SMOOTH_FPS = 12;

/** What limits a remote face's motion to under `MIN_SMOOTH_FPS`: the sender's tracking, or loss on the way. */
export type MotionLimit = 'sender' | 'network';

export interface SenderRateStats {
  /** Face frames the sender sends per second (from capture times and sequence numbers), or null before enough have come. */
  senderFps: number | null;
  /** Fraction of the sender's recent packets that did not arrive, or null before enough have come. */
  lossRate: number | null;
}

const SEQ_MODULO = 65536;
/** Frame-interval samples kept (the median is used). */
const STEP_HISTORY = 32;
/** Sequence numbers kept for the loss estimate. */
const LOSS_WINDOW = 64;
/** Fewer samples than these give no estimate. */
const MIN_STEPS = 4;
const MIN_LOSS_SPAN = 16;
/** Larger sequence jumps are a restart or an outage, not a rate. */
const MAX_SEQ_STEP = 16;

export class SenderRateMeter {
  /** Highest (unwrapped) sequence number seen, its capture time and whether it carried a face. */
  private hiSeq: number | null = null;
  private hiT = 0;
  private hiFace = false;
  private steps: number[] = [];
  private recent: number[] = [];
  private recentSet = new Set<number>();
  private hiRecent = Number.NEGATIVE_INFINITY;

  /** A packet with u16 sequence number `seq`, capture time `t` (ms), carrying a face or a face-lost word. */
  add(seq: number, t: number, face: boolean): void {
    if (!Number.isInteger(seq) || seq < 0 || seq >= SEQ_MODULO) throw new RangeError(`seq must be an integer in [0, ${SEQ_MODULO}), got ${seq}`);
    let ext = seq;
    if (this.hiSeq !== null) {
      const d = ((seq - (this.hiSeq % SEQ_MODULO) + SEQ_MODULO + SEQ_MODULO / 2) % SEQ_MODULO) - SEQ_MODULO / 2;
      ext = this.hiSeq + d;
      if (Math.abs(d) > 4 * LOSS_WINDOW) {
        // A restarted sender (new numbering): start over.
        this.reset();
        ext = seq;
      }
    }
    if (!this.recentSet.has(ext)) {
      this.recentSet.add(ext);
      this.recent.push(ext);
      if (ext > this.hiRecent) this.hiRecent = ext;
      // Keep the newest LOSS_WINDOW numbers' span.
      this.recent = this.recent.filter((s) => {
        const keep = s > this.hiRecent - LOSS_WINDOW;
        if (!keep) this.recentSet.delete(s);
        return keep;
      });
    }
    if (this.hiSeq === null || ext > this.hiSeq) {
      const dSeq = this.hiSeq === null ? 0 : ext - this.hiSeq;
      if (dSeq > 0 && dSeq <= MAX_SEQ_STEP && face && this.hiFace && t > this.hiT) {
        this.steps.push((t - this.hiT) / dSeq);
        if (this.steps.length > STEP_HISTORY) this.steps.shift();
      }
      this.hiSeq = ext;
      this.hiT = t;
      this.hiFace = face;
    }
  }

  get stats(): SenderRateStats {
    let senderFps: number | null = null;
    if (this.steps.length >= MIN_STEPS) {
      const sorted = [...this.steps].sort((a, b) => a - b);
      const median = sorted[sorted.length >> 1]!;
      senderFps = median > 0 ? 1000 / median : null;
    }
    let lossRate: number | null = null;
    if (this.recent.length > 0) {
      const span = this.hiRecent - Math.min(...this.recent) + 1;
      if (span >= MIN_LOSS_SPAN) lossRate = 1 - this.recent.length / span;
    }
    return { senderFps, lossRate };
  }

  reset(): void {
    this.hiSeq = null;
    this.hiT = 0;
    this.hiFace = false;
    this.steps = [];
    this.recent = [];
    this.recentSet.clear();
    this.hiRecent = Number.NEGATIVE_INFINITY;
  }
}

/**
 * What keeps a remote face's motion under `MIN_SMOOTH_FPS` face frames a second, or null when
 * enough arrive (or too little is known): 'sender' when the sender itself sends fewer, else
 * 'network' when loss on the way leaves fewer.
 */
export function motionLimit(s: SenderRateStats): MotionLimit | null {
  if (s.senderFps === null) return null;
  if (s.senderFps < MIN_SMOOTH_FPS) return 'sender';
  if (s.lossRate !== null && s.senderFps * (1 - s.lossRate) < MIN_SMOOTH_FPS) return 'network';
  return null;
}
