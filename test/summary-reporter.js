/**
 * Prints the run's totals as one plain line ("N passed, N failed, N skipped") after jest's own
 * summary, so that CI logs carry a closing line any reader or tool can parse.
 */
class SummaryReporter {
  onRunComplete(_contexts, results) {
    const line = `tests: ${results.numPassedTests} passed, ${results.numFailedTests} failed, ${results.numPendingTests + results.numTodoTests} skipped`;
    process.stdout.write(`\n${line}\n`);
  }
}
module.exports = SummaryReporter;
