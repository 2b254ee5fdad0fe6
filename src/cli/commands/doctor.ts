import type { CommandDefinition } from '../types.js';

export const doctorCommand: CommandDefinition = {
  path: ['doctor'],
  summary: 'run every documented troubleshooting step as a check, with the fix for each problem',
  configure: (cmd) => cmd.option('--only <ids...>', 'run only these checks (e.g. config db.connect)'),
  run: async ({ global, out, env, options }) => {
    const { loadConfig } = await import('../../config/resolve.js');
    const { doctor, defaultChecks } = await import('../../doctor/index.js');
    const { renderDoctor } = await import('../../doctor/report.js');
    const { DifyctlError } = await import('../../errors/index.js');
    const only = (options.only as string[] | undefined)?.flatMap((s) => s.split(',')).filter(Boolean);
    const known = defaultChecks().map((c) => c.id);
    const unknown = only?.filter((id) => !known.includes(id)) ?? [];
    if (unknown.length) throw new DifyctlError('CLI.USAGE', `unknown check ${unknown.join(', ')}`, { hint: `Checks: ${known.join(', ')}` });
    const config = loadConfig({ projectDir: global.projectDir, file: global.file, envFile: global.envFile, projectName: global.projectName, env });
    const report = await doctor({ config, env, only });
    out.print(renderDoctor(report, { color: out.color, verbose: global.verbose }));
    return { data: report, exitCode: report.summary.fail ? 1 : 0 };
  },
};
