// Function logs are noise in test output; a test that reads them sets its own level.
process.env.POWERTOOLS_LOG_LEVEL = process.env.TEST_LOG_LEVEL || 'SILENT';
process.env.POWERTOOLS_METRICS_NAMESPACE = process.env.POWERTOOLS_METRICS_NAMESPACE || 'AiMultiComms';
