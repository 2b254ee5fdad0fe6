/**
 * pidAlive of a child that exits, asked over and over until after its exit: once it says gone, it
 * never says running again. A zombie counts as gone, and the event loop reaps it at any turn, so
 * /proc/<pid>/stat can vanish between kill(pid, 0) and its read (`down` and `up` then waited on, or
 * reported, a process that had already ended).
 */
import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { pidAlive } from '../../src/supervision/process.js';

describe('pidAlive', () => {
  it('never takes a child for running again once it said the child was gone', async () => {
    const relapses: number[] = [];
    await Promise.all(
      Array.from({ length: 100 }, async () => {
        const child = spawn(process.execPath, ['-e', ''], { stdio: 'ignore' });
        const pid = child.pid!;
        let asking = true;
        child.once('exit', () => setTimeout(() => (asking = false), 50));
        let gone = false;
        while (asking) {
          // A turn of the event loop each time: the exit, the reaping and the timer come between.
          await new Promise((resolve) => setImmediate(resolve));
          if (!(await pidAlive(pid))) gone = true;
          else if (gone) {
            relapses.push(pid);
            break;
          }
        }
      }),
    );
    expect(relapses).toEqual([]);
  });
});
