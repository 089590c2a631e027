export * from './canonical-json';
export * from './clock';
export * from './deadline';
