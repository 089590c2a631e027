// The local stack's test helpers: they need the stack the global setup starts (or one of their own).
export * from './stack';
export * from './spawn-stack';
export * from './context-objects';
export * from './conversations';
export * from './in-process-processor';
export * from './log-capture';
export * from './projects';
export * from './replies';
export * from './cloudwatch-filter-pattern';
