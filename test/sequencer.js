/**
 * Jest's own order (slowest files first), except that test/chaos goes last: it starts a second
 * local stack and kills parts of it, and on a 2-core machine two stacks under full load at once
 * starve each other. Last, it overlaps only the tail of the other files.
 */
const Sequencer = require('@jest/test-sequencer').default;

const isChaos = (test) => test.path.includes('/test/chaos/');

class ChaosLastSequencer extends Sequencer {
  sort(tests) {
    const sorted = super.sort(tests);
    return [...sorted.filter((test) => !isChaos(test)), ...sorted.filter(isChaos)];
  }
}

module.exports = ChaosLastSequencer;
