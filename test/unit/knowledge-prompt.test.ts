import { describe, expect, it } from 'vitest';
import { configDict, type AppModelConfigDict } from '../../src/apps/model-config/index.js';
import { validateModelConfig } from '../../src/apps/model-config/schema.js';
import { assemblePrompt } from '../../src/apps/prompt.js';
import { configuredDatasetIds } from '../../src/knowledge/index.js';

function config(body: Record<string, unknown>, mode: 'chat' | 'completion' = 'chat'): AppModelConfigDict {
  const validated = validateModelConfig(mode, {
    model: { provider: 'openai', name: 'gpt-4o-mini', mode: 'chat', completion_params: {} },
    ...body,
  });
  return configDict({
    configs: validated,
    model: null,
    pre_prompt: null,
    prompt_type: null,
    opening_statement: null,
    suggested_questions: null,
    user_input_form: null,
    dataset_configs: null,
    file_upload: null,
    more_like_this: null,
  });
}

describe('knowledge context in prompts', () => {
  it("puts Dify's context prompt before pre_prompt, or where pre_prompt says {{#context#}}", () => {
    const simple = assemblePrompt({
      appMode: 'chat',
      config: config({ pre_prompt: 'Be brief.' }),
      inputs: {},
      query: 'Q',
      history: [],
      context: 'Fact one.',
    });
    expect(simple.messages[0]!.role).toBe('system');
    expect(simple.messages[0]!.content).toMatch(
      /^Use the following context as your learned knowledge, inside <context><\/context> XML tags\.\n\n<context>\nFact one\.\n<\/context>\n\n[\s\S]*Be brief\.$/,
    );
    const placed = assemblePrompt({
      appMode: 'chat',
      config: config({ pre_prompt: 'Facts: {{#context#}}. Be brief.' }),
      inputs: {},
      query: 'Q',
      history: [],
      context: 'Fact {{x}} one',
    });
    expect(placed.messages[0]).toEqual({ role: 'system', content: 'Facts: Fact {x} one. Be brief.' });
    const none = assemblePrompt({
      appMode: 'chat',
      config: config({ pre_prompt: 'Be brief.' }),
      inputs: {},
      query: 'Q',
      history: [],
    });
    expect(none.messages[0]).toEqual({ role: 'system', content: 'Be brief.' });
  });

  it('reads the enabled dataset ids of dataset_configs', () => {
    expect(
      configuredDatasetIds({
        datasets: {
          datasets: [
            { dataset: { enabled: true, id: 'a' } },
            { dataset: { enabled: false, id: 'b' } },
            { dataset: { id: 'c' } },
            'junk',
          ],
        },
      }),
    ).toEqual(['a', 'c']);
    expect(configuredDatasetIds(null)).toEqual([]);
    expect(configuredDatasetIds({ datasets: { strategy: 'router', datasets: [] } })).toEqual([]);
  });
});
