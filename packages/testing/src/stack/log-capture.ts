/**
 * The JSON lines a test file's loggers print, captured per test (stdout and stderr are spied on
 * before each test and restored after it): for assertions on what reaches the logs.
 */
export const useCapturedLogLines = (): string[] => {
  const lines: string[] = [];
  beforeEach(() => {
    lines.length = 0;
    const capture = (chunk: unknown) => {
      lines.push(...String(chunk).split('\n').filter(Boolean));
      return true;
    };
    jest.spyOn(process.stdout, 'write').mockImplementation(capture);
    jest.spyOn(process.stderr, 'write').mockImplementation(capture);
  });
  afterEach(() => jest.restoreAllMocks());
  return lines;
};
