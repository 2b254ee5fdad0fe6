import { invalidParam, type KnowledgeError } from './errors.js';

/** The parts of pdf.js's text content this module reads. */
interface TextItem {
  str: string;
  hasEOL?: boolean;
}

/** Why pdf.js refused a file, in words a person can act on (its exceptions carry a `name`). */
function reasonOf(error: unknown): string {
  const name = (error as { name?: unknown }).name;
  const message = error instanceof Error ? error.message : String(error);
  if (name === 'PasswordException') return 'the PDF is encrypted with a password; upload an unprotected copy';
  if (name === 'InvalidPDFException') return `not a valid PDF (${message})`;
  return `not a readable PDF (${message})`;
}

function pdfError(name: string, error: unknown): KnowledgeError {
  return invalidParam(`${name}: ${reasonOf(error)}`);
}

/** One page's text: items joined, a line break where pdf.js saw one. */
function pageText(items: readonly TextItem[]): string {
  let text = '';
  for (const item of items) text += item.str + (item.hasEOL ? '\n' : '');
  return text.replace(/[ \t]+\n/g, '\n').trim();
}

/**
 * The text of a PDF, page by page (Dify's PdfExtractor reads each page's text and joins the pages),
 * through pdf.js's legacy build, which runs in Node 20 without a DOM or a canvas. Pages are joined
 * with a blank line so the automatic splitter keeps them apart. A damaged, empty or
 * password-protected file is an `invalid_param` error naming the file — the worker records it on
 * the document (status `error`) — never a crash: pdf.js runs in this process with its worker faked,
 * and every failure of its promise is caught here.
 */
export async function extractPdfPages(name: string, content: Buffer): Promise<string[]> {
  const { getDocument } = await import('pdfjs-dist/legacy/build/pdf.mjs');
  const task = getDocument({
    // pdf.js may detach the buffer it is given: hand it a copy.
    data: new Uint8Array(content),
    isEvalSupported: false,
    disableFontFace: true,
    useSystemFonts: false,
    stopAtErrors: false,
    // Errors only: pdf.js warns on stdout about fonts it does not need for text.
    verbosity: 0,
  });
  let doc: Awaited<typeof task.promise>;
  try {
    doc = await task.promise;
  } catch (error) {
    await task.destroy().catch(() => {});
    throw pdfError(name, error);
  }
  try {
    const pages: string[] = [];
    for (let n = 1; n <= doc.numPages; n++) {
      const page = await doc.getPage(n);
      const content = await page.getTextContent();
      // The items are TextItem | TextMarkedContent; only TextItem has `str`.
      pages.push(pageText(content.items.flatMap((i) => ('str' in i ? [{ str: i.str, hasEOL: i.hasEOL }] : []))));
      page.cleanup();
    }
    return pages;
  } catch (error) {
    throw pdfError(name, error);
  } finally {
    await doc.destroy().catch(() => {});
  }
}

/** The whole text of a PDF: its pages' text, a blank line between pages. */
export async function extractPdfText(name: string, content: Buffer): Promise<string> {
  const pages = (await extractPdfPages(name, content)).filter((p) => p !== '');
  if (!pages.length)
    throw invalidParam(`${name}: the PDF has no text to extract (a scanned PDF needs OCR before upload)`);
  return pages.join('\n\n');
}
