export * from './erase-person';
