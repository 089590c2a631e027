export * from './pacing';
export * from './bucket-store';
export * from './governor';
export * from './limits';
