export * from './ajv';
export * from './json-depth';
