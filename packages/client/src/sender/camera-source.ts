/**
 * Frames from a camera track, newest first: a hidden <video> paced by
 * requestVideoFrameCallback. A consumer that is still busy misses frames instead
 * of queueing them, so tracking latency never builds up.
 */
export interface CameraFrame {
  bitmap: ImageBitmap;
  /** Capture time, ms on the wall clock (performance.timeOrigin + captureTime). */
  t: number;
  width: number;
  height: number;
}

interface FrameMetadata {
  captureTime?: number;
  expectedDisplayTime: number;
  width: number;
  height: number;
}
type VideoWithRvfc = HTMLVideoElement & {
  requestVideoFrameCallback(cb: (now: number, metadata: FrameMetadata) => void): number;
  cancelVideoFrameCallback(handle: number): void;
};

export class CameraSource {
  readonly track: MediaStreamTrack;
  readonly #video: VideoWithRvfc;
  readonly #minIntervalMs: number;
  #handle = 0;
  #closed = false;
  #lastT = -Infinity;
  #lastSeen = -Infinity;
  #framesSeen = 0;
  #waiting: ((frame: CameraFrame | null) => void) | null = null;

  private constructor(track: MediaStreamTrack, video: VideoWithRvfc, maxFps: number) {
    this.track = track;
    this.#video = video;
    this.#minIntervalMs = 1000 / maxFps - 2;
  }

  static async open(track: MediaStreamTrack, maxFps = 30): Promise<CameraSource> {
    if (track.kind !== 'video') throw new TypeError('CameraSource needs a video track');
    if (!(Number.isFinite(maxFps) && maxFps >= 1 && maxFps <= 120)) throw new TypeError(`maxFps must be a number in [1, 120], got ${maxFps}`);
    const video = document.createElement('video') as VideoWithRvfc;
    video.muted = true;
    video.playsInline = true;
    video.srcObject = new MediaStream([track]);
    await video.play();
    if (typeof video.requestVideoFrameCallback !== 'function') {
      throw new TypeError('this browser lacks requestVideoFrameCallback');
    }
    const source = new CameraSource(track, video, maxFps);
    source.#schedule();
    return source;
  }

  #schedule(): void {
    if (this.#closed) return;
    this.#handle = this.#video.requestVideoFrameCallback((now, meta) => void this.#onFrame(now, meta));
  }

  async #onFrame(now: number, meta: FrameMetadata): Promise<void> {
    this.#schedule();
    const waiting = this.#waiting;
    const local = meta.captureTime ?? now;
    const take = waiting !== null && local - this.#lastT >= this.#minIntervalMs;
    // Every frame taken is counted as seen, so the tracked rate never exceeds the camera's.
    if (take || local - this.#lastSeen >= this.#minIntervalMs) {
      this.#lastSeen = local;
      this.#framesSeen++;
    }
    if (!take) return;
    this.#waiting = null;
    this.#lastT = local;
    try {
      const bitmap = await createImageBitmap(this.#video);
      waiting({ bitmap, t: performance.timeOrigin + local, width: meta.width, height: meta.height });
    } catch {
      this.#waiting = waiting;
    }
  }

  /** A still of what the camera shows now (for identity checks), or null once closed. */
  async snapshot(): Promise<ImageBitmap | null> {
    if (this.#closed || this.#video.readyState < 2) return null;
    return createImageBitmap(this.#video);
  }

  /**
   * Camera frames so far at the paced rate (at most maxFps), taken or missed because the
   * consumer was still busy: against the frames it tracked, how far tracking keeps up.
   */
  get framesSeen(): number {
    return this.#framesSeen;
  }

  /** The next frame after this call, or null once closed. */
  next(): Promise<CameraFrame | null> {
    if (this.#closed) return Promise.resolve(null);
    return new Promise((resolve) => {
      this.#waiting?.(null);
      this.#waiting = resolve;
    });
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#video.cancelVideoFrameCallback(this.#handle);
    this.#video.srcObject = null;
    this.#waiting?.(null);
    this.#waiting = null;
  }
}
