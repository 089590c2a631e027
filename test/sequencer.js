/**
 * Jest's own order (slowest files first), except that the files that start stacks of their own go
 * last: test/local-stack (restarts a stack on one data folder), then test/chaos (a second stack
 * whose parts it kills). On a 2-core machine a stack starting beside the shared stack under full
 * load starves the other files' requests (a fresh-clone run once saw a 20 s timeout); last, they
 * overlap only the tail of the other files.
 */
const Sequencer = require('@jest/test-sequencer').default;

const isChaos = (test) => test.path.includes('/test/chaos/');
const isOwnStack = (test) => test.path.includes('/test/local-stack/');

class ChaosLastSequencer extends Sequencer {
  sort(tests) {
    const sorted = super.sort(tests);
    return [...sorted.filter((test) => !isChaos(test) && !isOwnStack(test)), ...sorted.filter(isOwnStack), ...sorted.filter(isChaos)];
  }
}

module.exports = ChaosLastSequencer;
