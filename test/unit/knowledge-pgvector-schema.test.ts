import { describe, expect, it } from 'vitest';
import { tableFor, vectorLiteral } from '../../src/knowledge/stores/pgvector-schema.js';

describe("pgvector tables named as Dify's PGVector names them", () => {
  it('embedding_ + Vector_index_<id>_Node, lower case, truncated to 63 characters as PostgreSQL does', () => {
    const name = tableFor('0B8F5A52-9D55-4D3E-8A53-3C1F27F1B0AA');
    expect(name).toBe('embedding_vector_index_0b8f5a52_9d55_4d3e_8a53_3c1f27f1b0aa_nod');
    expect(name).toHaveLength(63);
  });

  it('refuses a dataset id that is not a UUID (the name goes into SQL)', () => {
    expect(() => tableFor('x; DROP TABLE datasets')).toThrow(/not a UUID/);
  });

  it("writes vectors in pgvector's text form", () => {
    expect(vectorLiteral([1, -0.5, 2e-7])).toBe('[1,-0.5,2e-7]');
  });
});
