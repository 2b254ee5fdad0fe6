import { createStack, type StackOptions, type UpResult } from './stack.js';

export type { UpResult } from './stack.js';
export type UpOptions = Omit<StackOptions, 'config'>;

/** All phases of `difyctl up` in order, for the programmatic API: `await upStack({ projectDir, detach: true })`. */
export async function upStack(options: UpOptions): Promise<UpResult> {
  const stack = createStack(options);
  void stack.settings; // an invalid configuration starts nothing and takes no lock
  try {
    if (await stack.alreadyRunning()) return stack.result(undefined, true);
    await stack.startDependencies();
    try {
      await stack.migrate();
      return stack.result(await stack.launch(), false);
    } catch (error) {
      await stack.undo();
      throw error;
    }
  } finally {
    await stack.release();
  }
}
