/**
 * /proc/<pid>/stat lines as the kernel writes them: the fields after the command name, and which
 * states are an exited process. A process being reaped shows X for a moment; read then, it is gone
 * (pidAlive had taken it for running: a CI run saw a child "alive" again after its zombie).
 */
import { describe, expect, it } from 'vitest';
import { exitedStat, statFields } from '../../src/supervision/process.js';

const line = (comm: string, state: string): string =>
  `4242 (${comm}) ${state} 1 4242 4242 0 -1 4194560 120 0 0 0 3 1 0 0 20 0 11 0 987654 1234567 890 18446744073709551615`;

describe('stat lines', () => {
  it('reads the fields after the last parenthesis, whatever the command name holds', () => {
    expect(statFields(line('node', 'S')).slice(0, 2)).toEqual(['S', '1']);
    expect(statFields(line('a) Z (b', 'R')).slice(0, 2)).toEqual(['R', '1']);
    expect(statFields(line('two words', 'S'))[19]).toBe('987654');
  });

  it('takes a zombie and a dead process for exited, any other state for running', () => {
    for (const state of ['Z', 'X', 'x']) expect(exitedStat(line('node', state))).toBe(true);
    for (const state of ['R', 'S', 'D', 'T', 't', 'I', 'P', 'W', 'K'])
      expect(exitedStat(line('node', state))).toBe(false);
    // A command name that looks like a zombie's state does not make one.
    expect(exitedStat(line('x) Z (y', 'S'))).toBe(false);
    expect(exitedStat('')).toBe(false);
  });
});
