export { NeuralGenerator, NEURAL_FAMILY, DEFAULT_NEURAL_WEIGHTS_URL, DEFAULT_FACE_LOWPASS, hasWarpSections, type NeuralGeneratorOptions } from './neural-generator.ts';
export { cropResample, ovalCoverage, warpChannels } from './warp-input.ts';
export { addNeuralSections, computeNeuralIdentity, type NeuralEnrollOptions, type NeuralIdentityResult } from './enroll.ts';
export { NeuralModel, type GeneratorOutput, type EmbedderOutput } from './model.ts';
export { loadNeuralWeights, type NeuralWeights, type NeuralTopology, type AdainSlot } from './weights.ts';
export { useTfBackend, TF_AUTO_ORDER, type TfBackendName, type TfBackendPreference, type TfBackendOptions } from './tf-backend.ts';
export { rasteriseLandmarks, LANDMARK_PARTS, lineWidth } from './landmark-image.ts';
export { withNeuralSections, readNeuralSections, type NeuralIdentity } from './sections.ts';
