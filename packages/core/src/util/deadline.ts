/**
 * `work` against a deadline: its own result, or `onDeadline()`'s once `ms` have passed first.
 * The work is not cancelled (a promise cannot be); the caller's deadline handler ends what makes
 * abandoned work harmless (a record's lease), as both queue pipelines do.
 */
export const withDeadline = async <T>(work: Promise<T>, ms: number, onDeadline: () => Promise<T>): Promise<T> => {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<'deadline'>((resolve) => {
    timer = setTimeout(() => resolve('deadline'), ms);
    timer.unref?.();
  });
  try {
    const outcome = await Promise.race([work, deadline]);
    return outcome === 'deadline' ? await onDeadline() : outcome;
  } finally {
    clearTimeout(timer);
  }
};
