export * from './errors.ts';
export * from './frame.ts';
export * from './embedding/types.ts';
export * from './signaling/index.ts';
