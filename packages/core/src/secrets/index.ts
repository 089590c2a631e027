export * from './secret-reader';
