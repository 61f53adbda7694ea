export { enrollWarpAvatar, buildWarpContent, DEFAULT_ATLAS_SIZE, DEFAULT_MAX_BYTES, DEFAULT_PLATE_SIZE, type EnrollOptions, type EnrollmentPhoto } from './enroll.ts';
