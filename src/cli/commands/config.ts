import { Option } from 'commander';
import type { CommandDefinition } from '../types.js';

export const configCommand: CommandDefinition = {
  path: ['config'],
  summary: 'show the resolved settings, each with its source, and every validation problem',
  configure: (cmd) =>
    cmd
      .option('--service <name>', 'compose service to read (default: the one with MODE=api)')
      .addOption(new Option('--mode <mode>', 'pick the service by its MODE').choices(['api', 'worker']))
      .option('--show-secrets', 'print secret values instead of ***')
      .option('--all', 'list every key of the service, not only the settings difyctl uses'),
  run: async ({ global, out, env, options }) => {
    const { config: loadConfig } = await import('../../operations/config.js');
    const { renderConfig, configData } = await import('../render-config.js');
    const config = await loadConfig({
      projectDir: global.projectDir,
      file: global.file,
      envFile: global.envFile,
      projectName: global.projectName,
      env,
      service: options.service as string | undefined,
      mode: options.mode as 'api' | 'worker' | undefined,
    });
    const showSecrets = options.showSecrets === true;
    if (!out.json) out.print(renderConfig(config, { showSecrets, all: options.all === true, color: out.color }));
    const failed = config.diagnostics.some((d) => d.level === 'error');
    return { data: configData(config, showSecrets), exitCode: failed ? 2 : 0 };
  },
};
