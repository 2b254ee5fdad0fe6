import { unsupportedFileType, invalidParam } from './errors.js';
import { extractPdfText } from './parse-pdf.js';

/**
 * Text out of a document's bytes, by extension (Dify's ExtractProcessor): plain text and markdown as
 * they are, HTML without its markup, CSV one line per row as `column: value; …` (Dify's
 * CSVExtractor), JSON pretty-printed, DOCX through mammoth's raw text, PDF page by page through pdf.js
 * (parse-pdf.ts).
 */
export const TEXT_EXTENSIONS = ['txt', 'md', 'markdown', 'mdx', 'html', 'htm', 'csv', 'json'] as const;
/** Every extension a document file may have. */
export const DOCUMENT_EXTENSIONS: readonly string[] = [...TEXT_EXTENSIONS, 'docx', 'pdf'];

export function extensionOf(name: string): string {
  const dot = name.lastIndexOf('.');
  return dot > 0 ? name.slice(dot + 1).toLowerCase() : '';
}

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", nbsp: ' ' };

export function htmlToText(html: string): string {
  return html
    .replace(/<(script|style|head|template)\b[\s\S]*?<\/\1\s*>/gi, '')
    .replace(/<!--[\s\S]*?-->/g, '')
    .replace(/<br\s*\/?>/gi, '\n')
    .replace(/<\/(p|div|h[1-6]|li|tr|section|article|blockquote|pre)\s*>/gi, '\n\n')
    .replace(/<[^>]+>/g, '')
    .replace(/&(#x[0-9a-f]+|#\d+|[a-z]+);/gi, (all, entity: string) => {
      if (entity[0] === '#') {
        const code = entity[1]?.toLowerCase() === 'x' ? parseInt(entity.slice(2), 16) : parseInt(entity.slice(1), 10);
        return Number.isFinite(code) && code <= 0x10ffff ? String.fromCodePoint(code) : all;
      }
      return ENTITIES[entity.toLowerCase()] ?? all;
    })
    .replace(/[ \t]+\n/g, '\n')
    .trim();
}

/** RFC 4180 rows: quoted fields may hold commas, quotes ("") and newlines. */
export function csvRows(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"' && field === '') quoted = true;
    else if (c === ',') {
      row.push(field);
      field = '';
    } else if (c === '\n' || c === '\r') {
      if (c === '\r' && text[i + 1] === '\n') i++;
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
    } else field += c;
  }
  if (field !== '' || row.length) {
    row.push(field);
    rows.push(row);
  }
  return rows.filter((r) => r.some((f) => f.trim() !== ''));
}

function csvToText(text: string, name: string): string {
  const [header, ...rows] = csvRows(text.replace(/^\uFEFF/, ''));
  if (!header) throw invalidParam(`${name}: the CSV file has no header row`);
  return rows.map((r) => header.map((col, i) => `${col.trim()}: ${(r[i] ?? '').trim()}`).join('; ')).join('\n');
}

function jsonToText(text: string, name: string): string {
  try {
    return JSON.stringify(JSON.parse(text), null, 2);
  } catch (error) {
    throw invalidParam(`${name}: not valid JSON (${(error as Error).message})`);
  }
}

/** The text of a document named `name`; its extension picks the parser. */
export function extractText(name: string, content: string): string {
  const ext = extensionOf(name);
  switch (ext) {
    case 'html':
    case 'htm':
      return htmlToText(content);
    case 'csv':
      return csvToText(content, name);
    case 'json':
      return jsonToText(content, name);
    case 'txt':
    case 'md':
    case 'markdown':
    case 'mdx':
      return content;
    default:
      throw unsupportedFileType(ext);
  }
}

/** The text of an uploaded document file (docx unpacked, pdf read page by page, the rest decoded as UTF-8). */
export async function extractFileText(name: string, content: Buffer): Promise<string> {
  const ext = extensionOf(name);
  if (ext === 'pdf') return extractPdfText(name, content);
  if (ext === 'docx') {
    const { default: mammoth } = await import('mammoth');
    try {
      return (await mammoth.extractRawText({ buffer: content })).value;
    } catch (error) {
      throw invalidParam(`${name}: not a readable DOCX file (${(error as Error).message})`);
    }
  }
  if (!(TEXT_EXTENSIONS as readonly string[]).includes(ext)) throw unsupportedFileType(ext);
  return extractText(name, content.toString('utf8'));
}
