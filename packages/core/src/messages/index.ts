export * from './types';
export * from './delivery-repository';
export * from './provider-sightings';
