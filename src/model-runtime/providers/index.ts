import type { ProviderSpec } from '../catalog-types.js';
import { anthropicProvider } from './anthropic.js';
import { azureOpenaiProvider } from './azure-openai.js';
import { ollamaProvider } from './ollama.js';
import { openaiProvider } from './openai.js';
import { openaiCompatibleProvider } from './openai-compatible.js';

/** The built-in providers, in the order the console lists them. */
export const BUILTIN_PROVIDERS: readonly ProviderSpec[] = [
  openaiProvider,
  anthropicProvider,
  azureOpenaiProvider,
  ollamaProvider,
  openaiCompatibleProvider,
];
