/** Names of the process warnings (e.g. MaxListenersExceededWarning) emitted while `work` runs, and a turn after. */
export async function warningsDuring(work: () => Promise<void>): Promise<string[]> {
  const warnings: string[] = [];
  const onWarning = (warning: Error): void => { warnings.push(warning.name); };
  process.on('warning', onWarning);
  try {
    await work();
    // Node emits process warnings on the next tick.
    await new Promise((resolve) => setImmediate(resolve));
  } finally {
    process.off('warning', onWarning);
  }
  return warnings;
}
