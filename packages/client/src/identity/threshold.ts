/**
 * The calibrated decision threshold of the identity guard (cosine similarity of human's
 * faceres descriptors). Measured by `scripts/calibrate-identity.ts` on the shared clips and
 * stills; the numbers (FAR/FRR at this threshold, EER) are in packages/client/README.md,
 * section "Identity binding".
 */
export const IDENTITY_THRESHOLD = 0.5;
