import { readdir, readFile } from 'node:fs/promises';
import { readState } from '../state.js';
import { statFields } from '../../supervision/process.js';
import { readRunRecord, serviceProcessAlive, supervisorAlive } from '../../supervision/run-file.js';

/** Every pid below the roots (a cluster primary's workers, a supervisor's child), roots included. */
export async function processTree(roots: number[]): Promise<Set<number>> {
  const parents = await Promise.all(
    (await readdir('/proc').catch(() => [] as string[]))
      .filter((d) => /^\d+$/.test(d))
      .map(async (d) => {
        const stat = await readFile(`/proc/${d}/stat`, 'utf8').catch(() => '');
        return { pid: Number(d), ppid: Number(statFields(stat)[1]) };
      }),
  );
  const tree = new Set(roots.filter((p) => p > 0));
  for (let grew = true; grew; ) {
    grew = false;
    for (const p of parents) {
      if (!tree.has(p.pid) && tree.has(p.ppid)) {
        tree.add(p.pid);
        grew = true;
      }
    }
  }
  return tree;
}

/** The processes this project's stack runs: api/worker/db supervisors and servers, embedded db/redis. */
export async function stackPids(projectDir: string, projectName: string): Promise<Set<number>> {
  const roots: number[] = [];
  for (const service of ['api', 'worker', 'db']) {
    const record = await readRunRecord(projectDir, service);
    // Only the recorded processes themselves: a pid reused since is somebody else's.
    if (record && (await supervisorAlive(record))) roots.push(record.supervisorPid);
    if (record?.pid && (await serviceProcessAlive(record))) roots.push(record.pid);
  }
  const state = await readState(projectDir, projectName);
  for (const record of Object.values(state.services)) if (record?.pid) roots.push(record.pid);
  return processTree(roots);
}
