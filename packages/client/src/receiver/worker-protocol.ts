/** Messages between `RemoteAvatar` (main thread) and `avatar.worker.ts`. */
import type { AvatarEmbedding, LostReason } from '@visage/protocol';
import type { AvatarRenderOptions, RemoteAvatarStats } from './avatar-renderer.ts';
import type { AudioPlayoutSample } from './lip-sync.ts';

export type AvatarToWorker =
  | { type: 'init'; id: number; canvas: OffscreenCanvas; options: AvatarRenderOptions }
  | { type: 'embedding'; id: number; embedding: AvatarEmbedding; hash: string }
  | { type: 'packet'; id: number; bytes: Uint8Array; arrival: number }
  | { type: 'audio'; id: number; sample: AudioPlayoutSample }
  | { type: 'samples'; id: number }
  | { type: 'snapshot'; id: number }
  | { type: 'close'; id: number };

export type AvatarFromWorker =
  | { type: 'ok'; id: number }
  | { type: 'samples'; id: number; latency: number[]; syncWait: number[]; transit: number[] }
  | { type: 'snapshot'; id: number; bitmap: ImageBitmap }
  | { type: 'error'; id: number; message: string }
  /** Unsolicited events (id 0). */
  | { type: 'event'; id: 0; event: 'ready' }
  | { type: 'event'; id: 0; event: 'faceLost'; lost: boolean; reason: LostReason | null }
  | { type: 'event'; id: 0; event: 'stats'; stats: RemoteAvatarStats }
  | { type: 'event'; id: 0; event: 'error'; message: string };
