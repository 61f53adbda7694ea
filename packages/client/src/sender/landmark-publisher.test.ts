import { describe, expect, it } from 'vitest';
import { trackingBehind } from './landmark-publisher.ts';

describe('trackingBehind', () => {
  it('flags a device that tracks too few of its camera frames', () => {
    expect(trackingBehind({ fps: 7, cameraFps: 30 })).toBe(true);
    expect(trackingBehind({ fps: 11, cameraFps: 25 })).toBe(true);
  });

  it('accepts tracking that keeps up, or a camera that is slow by itself', () => {
    expect(trackingBehind({ fps: 29, cameraFps: 30 })).toBe(false);
    // 15 fps is drawn smoothly (receivers interpolate), even though it is half the camera's.
    expect(trackingBehind({ fps: 15, cameraFps: 30 })).toBe(false);
    // A camera giving 8 fps in low light, all tracked: the device is not the bottleneck.
    expect(trackingBehind({ fps: 8, cameraFps: 8 })).toBe(false);
    expect(trackingBehind({ fps: 0, cameraFps: 0 })).toBe(false); // nothing measured yet
  });
});
