export * from './types';
export * from './schema';
export * from './parse-body';
export * from './validate-request';
