import { describe, expect, it } from 'vitest';
import { AvatarRenderer } from './avatar-renderer.ts';

describe('AvatarRenderer options', () => {
  it('refuses a refiner option with both the eyes and the mouth off', () => {
    // Checked before the canvas is touched.
    const canvas = {} as OffscreenCanvas;
    expect(() => new AvatarRenderer(canvas, { peerId: 'p', name: 'P', impersonation: false, mouthRefiner: { eyes: false, mouth: false } })).toThrow(/eyes and mouth both off/);
  });
});
