export * from './clients';
export * from './query-all';
