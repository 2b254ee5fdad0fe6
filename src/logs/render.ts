import type { ChalkInstance } from 'chalk';
import type { LogLine } from './types.js';

const PALETTE = ['cyan', 'yellow', 'green', 'magenta', 'blue', 'red'] as const;

export interface RenderOptions {
  color: ChalkInstance;
  /** Width of the service column (the longest service name). */
  width: number;
  timestamps: boolean;
  prefix: boolean;
  /** Services in a fixed order so each keeps its colour. */
  services: string[];
}

/** `api    | text`, coloured per service like docker compose. */
export function renderLine(line: LogLine, options: RenderOptions): string {
  const parts: string[] = [];
  if (options.prefix) {
    const index = Math.max(0, options.services.indexOf(line.service));
    const paint = options.color[PALETTE[index % PALETTE.length] ?? 'cyan'];
    parts.push(paint(`${line.service.padEnd(options.width)} |`));
  }
  if (options.timestamps) parts.push(options.color.dim(line.time ? line.time.toISOString() : ' '.repeat(24)));
  parts.push(line.text);
  return parts.join(' ');
}
