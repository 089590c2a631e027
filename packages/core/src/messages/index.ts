export * from './types';
export * from './delivery-repository';
