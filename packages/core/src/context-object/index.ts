export * from './types';
export * from './schema';
export * from './conversation-id';
export * from './build';
export * from './parse';
