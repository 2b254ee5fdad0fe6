/** Which listr2 renderer a task list uses. */
export type RendererChoice = 'default' | 'verbose' | 'silent';

/**
 * A pure function of flags and environment: the animated list on an interactive terminal; plain
 * timestamped lines (listr2's verbose renderer) in CI, pipes and with --verbose; nothing with
 * --json, where stdout carries one document.
 */
export function chooseRenderer(args: {
  isTTY: boolean;
  env: NodeJS.ProcessEnv;
  json?: boolean;
  verbose?: boolean;
  columns?: number;
}): RendererChoice {
  if (args.json) return 'silent';
  const ci = args.env.CI !== undefined && args.env.CI !== '' && args.env.CI !== 'false' && args.env.CI !== '0';
  // A terminal that reports no width (a pseudo-terminal without a size) would wrap every character.
  const narrow = args.columns !== undefined && args.columns < 20;
  if (!args.isTTY || ci || args.env.TERM === 'dumb' || args.verbose || narrow) return 'verbose';
  return 'default';
}
