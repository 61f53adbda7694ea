export * from './types.ts';
export {
  decodeEmbedding,
  encodeEmbedding,
  embeddingByteLength,
  embeddingHash,
  floatSectionBytes,
  imageSize,
  neutralShapeOf,
  validateSection,
  EMBEDDING_FORMAT_VERSION,
  EMBEDDING_MAGIC,
  HASH_BYTES,
  MAX_EMBEDDING_BYTES,
  MAX_FAMILY_BYTES,
  MAX_IMAGE_SIDE,
  MAX_SECTIONS,
  type DecodedEmbedding,
} from './container.ts';
export { chunkEmbedding, EmbeddingReassembler, CHUNK_HEADER_BYTES, DEFAULT_CHUNK_BYTES } from './chunking.ts';
export { sha256, toHex } from './sha256.ts';
export * from './generator-weights.ts';
