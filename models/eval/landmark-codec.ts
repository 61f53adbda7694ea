/**
 * The one place the benchmark touches the landmark codec: the sender's neutral shape and the
 * encode side (packets whose bytes give our bitrate). Decoding happens in the browser page with
 * the same codec (page/page.ts).
 */
import { createEncoder, defaultBasis, estimateNeutral, type FaceFrame } from '@visage/protocol';

/** The sender's canonical neutral from its enrollment frames (what its embedding would carry). */
export function senderNeutral(frames: readonly FaceFrame[]): Float32Array {
  return estimateNeutral(frames, defaultBasis().template, 1);
}

/** Encodes frames (square crop, aspect 1) in order; one packet per frame, face-lost packets included. */
export function encodeFrames(frames: readonly FaceFrame[], neutral: Float32Array): Uint8Array[] {
  const encoder = createEncoder({ neutral, aspect: 1 });
  return frames.map((f) => encoder.encode(f));
}

/** kbit/s of packets covering `frameCount` frames at `fps` (codec bytes only, no transport headers). */
export function packetKbps(packets: readonly Uint8Array[], frameCount: number, fps: number): number {
  const bytes = packets.reduce((s, p) => s + p.length, 0);
  return (bytes * 8) / (frameCount / fps) / 1000;
}
