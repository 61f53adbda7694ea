export * from './errors.ts';
export * from './events.ts';
export * from './frame.ts';
export * from './embedding/types.ts';
export * from './signaling/index.ts';
