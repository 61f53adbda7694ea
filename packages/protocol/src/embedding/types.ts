/**
 * The avatar embedding: computed once on the sender from a few enrollment photos,
 * sent as bytes on the reliable data channel, cached by content hash on receivers.
 * The binary container (header, typed sections, hash, chunking) lives beside this file.
 */

/** Section types. Values are wire constants: never renumber. */
export const SectionType = {
  /** Float32 478×3 neutral (expressionless, canonical-pose) 3D landmark shape of the avatar. */
  NeutralShape: 1,
  /** Face texture atlas in MediaPipe canonical UV space, image bytes (WebP/JPEG/PNG). */
  TextureAtlas: 2,
  /** Background plate (the photo with hair, neck, background), image bytes. */
  BackgroundPlate: 3,
  /** Float32 478×3 landmarks of the background plate photo, normalised to the plate. */
  PlateLandmarks: 4,
  /** Mouth-interior patch, image bytes. */
  MouthPatch: 5,
  /** Eye patches, image bytes. */
  EyePatch: 6,
  /** Neural embedder's averaged identity vector (float32). */
  IdentityVector: 7,
  /** AdaIN parameters predicted from the identity vector (float16 or float32). */
  AdaInParams: 8,
  /** UTF-8 JSON metadata: display name, impersonation flag, enrollment stats. */
  Metadata: 9,
  /** Person-specific float16 deltas to some of the neural generator's layers (generator-weights.ts). */
  GeneratorWeights: 10,
  /** Both eyes' openings in their eyeball frames (iris-centred; client face-model.ts), side by side, image bytes. */
  EyeballPatch: 11,
  /**
   * Further mouth-interior patches, one per enrollment photo with an open mouth, stacked vertically
   * (client face-model.ts's patch size each), image bytes; their inner-lip contours in the metadata.
   * Receivers that know it draw each frame's mouth from the photo whose opening is nearest.
   */
  MouthSet: 12,
} as const;
export type SectionType = (typeof SectionType)[keyof typeof SectionType];

export interface GeneratorId {
  /** e.g. 'warp' or 'neural'. ASCII, ≤ 16 bytes. */
  family: string;
  version: number;
}

export interface EmbeddingSection {
  type: number;
  /** A receiver that does not know a mandatory section must reject the embedding. */
  mandatory: boolean;
  bytes: Uint8Array;
}

export interface AvatarEmbedding {
  formatVersion: number;
  generator: GeneratorId;
  sections: EmbeddingSection[];
}
