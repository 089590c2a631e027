export * from './canonical-json';
export * from './clock';
export * from './deadline';
export * from './each-limited';
export * from './text-of';
