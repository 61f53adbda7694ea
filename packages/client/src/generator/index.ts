export type { Generator, BackendKind, BackendPreference, PixelTarget, RenderTarget } from './types.ts';
export { createGenerator, registerGenerator, generatorNames, type GeneratorName, type GeneratorOptionsMap } from './registry.ts';
export { WarpGenerator, type WarpGeneratorOptions } from './warp/warp-generator.ts';
export { packWarpContent, unpackWarpContent, embeddingPayloadBytes, type WarpContent, type WarpMetadata, type PackOptions } from './warp/content.ts';
export type { RasterBackend, BackendFactory, DrawMesh } from './backends/types.ts';
export { defaultBackendFactory, selectBackend } from './backends/select.ts';
export { retarget, Retargeter, canonicalize, estimateNeutral, type RetargetOptions } from './retarget.ts';
export { pngCodec, canvasCodec, defaultImageCodec, sniffMime, type ImageCodec, type ImageMime } from './codec.ts';
export type { RgbaImage } from './image.ts';
