export * from './canonical-json';
export * from './clock';
