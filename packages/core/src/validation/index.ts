export * from './ajv';
export * from './json-depth';
export * from './text';
