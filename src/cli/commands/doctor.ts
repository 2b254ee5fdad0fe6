import { projectOptions } from '../project-options.js';
import type { CommandDefinition } from '../types.js';

export const doctorCommand: CommandDefinition = {
  path: ['doctor'],
  summary: 'run every documented troubleshooting step as a check, with the fix for each problem',
  configure: (cmd) => cmd.option('--only <ids...>', 'run only these checks (e.g. config db.connect)'),
  run: async (ctx) => {
    const { global, out, options } = ctx;
    const { doctor } = await import('../../operations/doctor.js');
    const { renderDoctor } = await import('../../doctor/report.js');
    const only = (options.only as string[] | undefined)?.flatMap((s) => s.split(',')).filter(Boolean);
    const report = await doctor({ ...projectOptions(ctx), only });
    out.print(renderDoctor(report, { color: out.color, verbose: global.verbose }));
    return { data: report, exitCode: report.summary.fail ? 1 : 0 };
  },
};
