import { appUnavailable } from './errors.js';
import type { Generation } from './events.js';
import { startGeneration, type GeneratorDeps } from './generate.js';
import type { GenerateRequest } from './prepare.js';

/**
 * A completion app's answer: pre_prompt filled from the inputs (plus the optional query), no memory.
 * @throws AppRequestError `app_unavailable` for other app modes (Dify's answer), `invalid_param`, `provider_not_initialize`
 */
export async function generateCompletion(
  deps: GeneratorDeps,
  request: Omit<GenerateRequest, 'conversationId' | 'autoGenerateName'>,
): Promise<Generation> {
  if (request.app.mode !== 'completion') throw appUnavailable();
  return startGeneration(deps, 'completion', request);
}
