import { describe, expect, it } from 'vitest';
import { SectionType } from '@visage/protocol';
import { buildWarpContent, enrollWarpAvatar, mouthCoverage } from './enroll.ts';
import { pngCodec } from '../../generator/codec.ts';
import { embeddingPayloadBytes } from '../../generator/warp/content.ts';
import { loadFrame, loadLandmarks } from '../../../test/warp-fixtures.ts';

describe('warp enrollment', () => {
  it('fuses two photos with near-unit exposure gains and packs every section within 256 KB', async () => {
    const photos = [
      { image: await loadFrame(30), landmarks: loadLandmarks(30) },
      { image: await loadFrame(50), landmarks: loadLandmarks(50) },
    ];
    const { embedding, content, bytes } = await enrollWarpAvatar(photos, { codec: pngCodec, name: 'fixture' });
    expect(bytes).toBe(embeddingPayloadBytes(embedding));
    expect(bytes).toBeLessThanOrEqual(256 * 1024);
    expect(embedding.sections.map((s) => s.type).sort()).toEqual(
      [SectionType.NeutralShape, SectionType.TextureAtlas, SectionType.BackgroundPlate, SectionType.PlateLandmarks, SectionType.MouthPatch, SectionType.EyeballPatch, SectionType.MouthSet, SectionType.Metadata].sort(),
    );
    expect(content.metadata.photos).toBe(2);
    // Both frames' mouths are open: one is the mouth patch, the other the mouth set.
    expect(content.mouthSet!.map((m) => m.source)).toEqual([1 - (content.metadata.mouthSource as number)]);
    expect(mouthCoverage(content)).toEqual({ open: 2, teeth: true });
    expect(mouthCoverage(buildWarpContent(photos, { mouthSet: false }))).toEqual({ open: 1, teeth: true });
    for (const g of content.metadata.gains!) for (const v of g) expect(Math.abs(v - 1)).toBeLessThan(0.2);
    // The atlas is fully filled (push-pull), opaque, and not black.
    let dark = 0;
    for (let i = 0; i < content.atlas.data.length; i += 4) if (content.atlas.data[i]! + content.atlas.data[i + 1]! + content.atlas.data[i + 2]! < 10) dark++;
    expect(dark / (content.atlas.data.length / 4)).toBeLessThan(0.01);
    expect(content.neutral.every(Number.isFinite)).toBe(true);
  });

  it('leaves the mouth set out before it shrinks the plate to fit maxBytes', async () => {
    const photos = [
      { image: await loadFrame(30), landmarks: loadLandmarks(30) },
      { image: await loadFrame(50), landmarks: loadLandmarks(50) },
    ];
    const full = await enrollWarpAvatar(photos, { codec: pngCodec });
    const bare = await enrollWarpAvatar(photos, { codec: pngCodec, mouthSet: false });
    expect(full.content.mouthSet).toHaveLength(1);
    expect(full.bytes).toBeGreaterThan(bare.bytes);
    const fit = await enrollWarpAvatar(photos, { codec: pngCodec, maxBytes: Math.floor((full.bytes + bare.bytes) / 2) });
    expect(fit.content.mouthSet).toBeUndefined();
    expect(fit.embedding.sections.some((x) => x.type === SectionType.MouthSet)).toBe(false);
    expect(fit.content.plate.width).toBe(full.content.plate.width);
    expect(fit.bytes).toBe(bare.bytes);
  });

  it('registers the photos\' unwraps before fusing them only when asked (registerPhotos)', async () => {
    const photos = [
      { image: await loadFrame(30), landmarks: loadLandmarks(30) },
      { image: await loadFrame(50), landmarks: loadLandmarks(50) },
    ];
    const plain = buildWarpContent(photos).atlas.data;
    const changed = (a: Uint8ClampedArray) => a.reduce((n, v, i) => n + (v !== plain[i] ? 1 : 0), 0);
    for (const mode of ['reference', 'consensus'] as const) {
      const n = changed(buildWarpContent(photos, { registerPhotos: mode }).atlas.data);
      // The fixture's two frames are a second apart: some detail moved, most of the atlas did not.
      expect(n).toBeGreaterThan(0);
      expect(n).toBeLessThan(plain.length / 2);
    }
    // One photo: nothing to register onto.
    expect(buildWarpContent(photos.slice(0, 1), { registerPhotos: 'consensus' }).atlas.data).toEqual(buildWarpContent(photos.slice(0, 1)).atlas.data);
    expect(() => buildWarpContent(photos, { registerPhotos: 'mean' as never })).toThrow(/registerPhotos must be 'reference' or 'consensus'/);
  });

  it('favours a photo\'s texture in the atlas by its photoWeights', async () => {
    const photos = [
      { image: await loadFrame(30), landmarks: loadLandmarks(30) },
      { image: await loadFrame(50), landmarks: loadLandmarks(50) },
    ];
    const diff = (a: Uint8ClampedArray, b: Uint8ClampedArray) => a.reduce((s, v, i) => s + Math.abs(v - b[i]!), 0) / a.length;
    // Boosted, the atlas moves toward that photo's own (not all the way: exposure gains, the eyes'
    // source photo and texels it barely sees still come from the other).
    const fused = buildWarpContent(photos).atlas.data;
    for (const [k, w] of [[0, [100, 1]], [1, [1, 100]]] as const) {
      const alone = buildWarpContent([photos[k]!]).atlas.data, boosted = buildWarpContent(photos, { photoWeights: w }).atlas.data;
      expect(diff(boosted, alone)).toBeLessThan(0.8 * diff(fused, alone));
    }
    expect(diff(buildWarpContent(photos, { photoWeights: [1, 1] }).atlas.data, fused)).toBe(0);
    for (const w of [[1], [1, 0], [1, Number.NaN]]) expect(() => buildWarpContent(photos, { photoWeights: w })).toThrow(/photoWeights must hold 2 positive numbers/);
  });

  it('shrinks to a tighter budget and rejects bad input', async () => {
    const photo = { image: await loadFrame(30), landmarks: loadLandmarks(30) };
    const { bytes } = await enrollWarpAvatar([photo], { codec: pngCodec, maxBytes: 100_000 });
    expect(bytes).toBeLessThanOrEqual(100_000);
    expect(() => buildWarpContent([])).toThrow(TypeError);
    expect(() => buildWarpContent([{ image: photo.image, landmarks: new Float32Array(5) }])).toThrow(TypeError);
  });
});
