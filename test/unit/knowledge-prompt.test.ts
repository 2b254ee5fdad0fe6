import { describe, expect, it } from 'vitest';
import { appConfig } from '../helpers/app-config.js';
import { assemblePrompt } from '../../src/apps/prompt.js';
import { configuredDatasetIds } from '../../src/knowledge/index.js';

const config = appConfig;

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
