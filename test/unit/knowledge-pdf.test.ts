import { describe, expect, it } from 'vitest';
import type { KnowledgeError } from '../../src/knowledge/errors.js';
import { extractPdfPages, extractPdfText } from '../../src/knowledge/parse-pdf.js';
import { extractFileText } from '../../src/knowledge/parse.js';
import { pdf } from '../helpers/document-files.js';

const refusal = async (work: Promise<unknown>): Promise<KnowledgeError> =>
  work.then(
    () => {
      throw new Error('expected a refusal');
    },
    (error: KnowledgeError) => error,
  );

describe('PDF text (pdf.js legacy build on Node 20)', () => {
  it('reads each page, its lines in order, parentheses and backslashes unescaped; pages joined by a blank line', async () => {
    const file = pdf([['Quarterly report (draft)', 'Revenue grew by 12 percent.'], [], ['Path C:\\data is archived.']]);
    expect(await extractPdfPages('report.pdf', file)).toEqual([
      'Quarterly report (draft)\nRevenue grew by 12 percent.',
      '',
      'Path C:\\data is archived.',
    ]);
    expect(await extractFileText('Report.PDF', file)).toBe(
      'Quarterly report (draft)\nRevenue grew by 12 percent.\n\nPath C:\\data is archived.',
    );
  });

  it('refuses damaged, empty, encrypted and text-less files with an invalid_param naming the file (no crash)', async () => {
    const good = pdf([['Some text']]);
    const cases: Array<[string, Buffer, RegExp]> = [
      ['cut.pdf', good.subarray(0, good.length / 2), /^cut\.pdf: not a valid PDF \(/],
      ['junk.pdf', Buffer.from('hello, not a pdf'), /^junk\.pdf: not a valid PDF \(/],
      ['empty.pdf', Buffer.alloc(0), /^empty\.pdf: not a valid PDF \(.*empty/],
      ['locked.pdf', pdf([['Secret']], { encrypted: true }), /^locked\.pdf: the PDF is encrypted with a password/],
      ['scan.pdf', pdf([[]]), /^scan\.pdf: the PDF has no text to extract/],
    ];
    for (const [name, content, message] of cases) {
      const error = await refusal(extractPdfText(name, content));
      expect(error, name).toMatchObject({ name: 'KnowledgeError', code: 'invalid_param', status: 400 });
      expect(error.message, name).toMatch(message);
    }
  });
});
