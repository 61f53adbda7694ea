export { createEncoder, LandmarkEncoder, DEFAULT_KEYFRAME_INTERVAL_MS, type EncoderOptions } from './encoder.ts';
export { createDecoder, LandmarkDecoder, type DecoderOptions, type DecodeCallOptions, type DecodedPacket } from './decoder.ts';
export {
  decodeHeader,
  encodeHeaderInto,
  unwrap,
  unwrapSeq,
  unwrapTimestamp,
  PACKET_FORMAT_VERSION,
  PACKET_HEADER_BYTES,
  SEQ_MODULO,
  TIMESTAMP_MODULO,
  type PacketHeader,
} from './header.ts';
export { loadBasis, type Basis, type BasisData } from './basis.ts';
export { defaultBasis, getBasis, DEFAULT_CODEC_ID } from './defaultBasis.ts';
export { canonicaliseNeutral, estimateNeutral } from './shape.ts';
export { quantiseAspect, COMMON_ASPECTS, MIN_ASPECT, MAX_ASPECT } from './aspect.ts';
export { faceCropError, type CropErrorStats } from './metrics.ts';
