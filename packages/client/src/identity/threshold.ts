/**
 * The calibrated decision threshold of the identity guard: cosine similarity of human's
 * faceres descriptors (wasm backend) at or above which a live face is taken to be the
 * enrolled person. Chosen at the equal-error point (0.586, rounded) of
 * `scripts/calibrate-identity.ts` on the shared clips (6 frames each) and stills: 271
 * descriptors of 61 people, FAR 0.44 % / FRR 0.52 % per check (FRR 1.16 % between different clips/stills of one person), EER 0.51 %. Numbers and
 * command: packages/client/README.md, section "Identity binding".
 */
export const IDENTITY_THRESHOLD = 0.59;
