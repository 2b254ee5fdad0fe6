import type { Check } from '../types.js';
import { configCheck } from './config.js';
import { performanceCheck } from './performance.js';
import { createPortsCheck } from './ports.js';
import { vectorCheck } from './vector.js';

/** Every check, in the order the report lists them (SPEC §6). */
export function defaultChecks(): Check[] {
  return [configCheck, createPortsCheck(), vectorCheck, performanceCheck];
}
