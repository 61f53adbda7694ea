export {
  JitterBuffer,
  DEFAULT_JITTER_OPTIONS,
  type JitterBufferOptions,
  type BufferedFrame,
  type RenderResult,
  type RenderState,
  type LostReason,
  type JitterStats,
} from './jitterBuffer.ts';
export { SenderRateMeter, motionLimit, MIN_SMOOTH_FPS, type MotionLimit, type SenderRateStats } from './senderRate.ts';
