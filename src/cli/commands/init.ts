import type { CommandDefinition } from '../types.js';

export const initCommand: CommandDefinition = {
  path: ['init'],
  summary: "write a .env (fresh SECRET_KEY), a docker-compose.yaml in Dify's layout, an example plugin and middleware",
  configure: (cmd) =>
    cmd.argument('[dir]', 'where to write (default: the project dir)').option('--force', 'overwrite existing files'),
  run: async ({ global, out, args, options }) => {
    const path = await import('node:path');
    const { init } = await import('../../operations/init.js');
    const dir = path.resolve(global.projectDir, typeof args[0] === 'string' ? args[0] : '.');
    const result = await init({ dir, force: options.force === true });
    for (const file of result.written)
      out.print(`${out.color.green('created')} ${path.relative(process.cwd(), file) || file}`);
    out.print(
      `\nNext: ${out.color.bold(`difyctl${dir === process.cwd() ? '' : ` -C ${path.relative(process.cwd(), dir) || '.'}`} up`)}`,
    );
    return { data: { dir, written: result.written } };
  },
};
