/**
 * Prints the run's totals as one plain line ("tests: N passed, N failed, N skipped") as the very
 * last line of the run, after jest's own summary, so that CI logs close with a line any reader
 * or tool can parse.
 */
class SummaryReporter {
  onRunComplete(_contexts, results) {
    const line = `tests: ${results.numPassedTests} passed, ${results.numFailedTests} failed, ${results.numPendingTests + results.numTodoTests} skipped`;
    // Jest prints its own summary after every reporter; at exit, this is the closing line.
    process.once('exit', () => process.stderr.write(`${line}\n`));
  }
}
module.exports = SummaryReporter;
