import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { conversationTitlePrompt, parseConversationName } from '../../src/server/services/conversation-names.js';
import { storageRoot } from '../../src/server/services/file-storage.js';
import { createFileUrls } from '../../src/server/services/file-urls.js';
import { parseSuggestions } from '../../src/server/services/suggested-questions.js';
import { checkUpload, sizeLimit, type UploadLimits } from '../../src/server/services/upload-files.js';

const LIMITS: UploadLimits = {
  UPLOAD_FILE_SIZE_LIMIT: 15,
  UPLOAD_IMAGE_FILE_SIZE_LIMIT: 10,
  UPLOAD_VIDEO_FILE_SIZE_LIMIT: 100,
  UPLOAD_AUDIO_FILE_SIZE_LIMIT: 50,
  UPLOAD_FILE_EXTENSION_BLACKLIST: 'exe, .BAT',
};
const MB = 1024 * 1024;

describe('conversation names', () => {
  it('takes "Your Output" of the JSON answer, even wrapped in prose or a code fence', () => {
    expect(
      parseConversationName('{"Language Type":"English","Your Reasoning":"x","Your Output":" Tea time "}', 'q'),
    ).toBe('Tea time');
    expect(parseConversationName('Here:\n```json\n{"Your Output": "Tea time"}\n```', 'q')).toBe('Tea time');
  });

  it('falls back to the query (newlines as spaces) when the answer has no usable output, and to nothing on an empty answer', () => {
    expect(parseConversationName('no json here', 'first\nline')).toBe('first line');
    expect(parseConversationName('["a"]', 'the query')).toBe('the query');
    expect(parseConversationName('{"Your Output": ""}', 'the query')).toBe('the query');
    expect(parseConversationName('  ', 'the query')).toBe('');
  });

  it('cuts names past 75 characters with "..." and long queries in the prompt, as Dify does', () => {
    expect(parseConversationName(JSON.stringify({ 'Your Output': 'x'.repeat(80) }), 'q')).toBe(`${'x'.repeat(75)}...`);
    const prompt = conversationTitlePrompt(`${'a'.repeat(1500)}\n${'b'.repeat(1500)}`);
    expect(prompt).toContain(`${'a'.repeat(300)}...[TRUNCATED]...${'b'.repeat(300)}`);
    expect(prompt).not.toContain('a'.repeat(301));
    expect(conversationTitlePrompt('two\nlines')).toContain('two lines\n');
  });
});

describe('suggested questions', () => {
  it('reads the first JSON array of strings in the answer, else none', () => {
    expect(parseSuggestions('Sure: ["What next?", "Why?", "How so?"] enjoy')).toEqual([
      'What next?',
      'Why?',
      'How so?',
    ]);
    expect(parseSuggestions('[\n "a",\n " b ", 3, ""\n]')).toEqual(['a', 'b']);
    expect(parseSuggestions('no list')).toEqual([]);
    expect(parseSuggestions('[not json]')).toEqual([]);
  });
});

describe('uploads', () => {
  it('picks the size limit by the kind of file, in bytes, naming its setting', () => {
    expect(sizeLimit(LIMITS, 'PNG')).toEqual({ bytes: 10 * MB, setting: 'UPLOAD_IMAGE_FILE_SIZE_LIMIT' });
    expect(sizeLimit(LIMITS, 'mp4')).toEqual({ bytes: 100 * MB, setting: 'UPLOAD_VIDEO_FILE_SIZE_LIMIT' });
    expect(sizeLimit(LIMITS, 'mp3')).toEqual({ bytes: 50 * MB, setting: 'UPLOAD_AUDIO_FILE_SIZE_LIMIT' });
    expect(sizeLimit(LIMITS, 'pdf')).toEqual({ bytes: 15 * MB, setting: 'UPLOAD_FILE_SIZE_LIMIT' });
    expect(sizeLimit(LIMITS, '')).toEqual({ bytes: 15 * MB, setting: 'UPLOAD_FILE_SIZE_LIMIT' });
  });

  it("answers Dify's codes for a bad name, type, extension or size", () => {
    const check = (filename: string, mimetype = 'image/png', size = 10) => {
      try {
        checkUpload(LIMITS, { filename, mimetype, size });
        return 'ok';
      } catch (error) {
        const e = error as { status: number; code: string };
        return `${e.status} ${e.code}`;
      }
    };
    expect(check('cat.png')).toBe('ok');
    expect(check('')).toBe('400 filename_not_exists_error');
    expect(check('../cat.png')).toBe('400 invalid_param');
    expect(check('cat.png', 'nonsense')).toBe('415 unsupported_file_type');
    expect(check('tool.EXE', 'application/octet-stream')).toBe('400 file_extension_blocked');
    expect(check('run.bat', 'text/plain')).toBe('400 file_extension_blocked');
    expect(check('cat.png', 'image/png', 10 * MB + 1)).toBe('413 file_too_large');
    expect(check('doc.pdf', 'application/pdf', 10 * MB + 1)).toBe('ok');
  });

  it('keeps long names to 200 characters with their extension', () => {
    expect(checkUpload(LIMITS, { filename: `${'n'.repeat(250)}.png`, mimetype: 'image/png', size: 1 }).name).toBe(
      `${'n'.repeat(200)}.png`,
    );
  });
});

describe('storage root', () => {
  it("resolves a relative root under the project's volumes/app, as Dify's compose mounts it; absolute roots stay", () => {
    const base = { STORAGE_LOCAL_PATH: 'storage', OPENDAL_FS_ROOT: 'storage' };
    expect(storageRoot({ ...base, STORAGE_TYPE: 'opendal' }, '/p')).toBe(path.resolve('/p/volumes/app/storage'));
    expect(storageRoot({ ...base, STORAGE_TYPE: 'opendal', OPENDAL_FS_ROOT: '/srv/files' }, '/p')).toBe('/srv/files');
    expect(storageRoot({ ...base, STORAGE_TYPE: 'local', STORAGE_LOCAL_PATH: 'data/up' }, '/p')).toBe(
      path.resolve('/p/volumes/app/data/up'),
    );
  });
});

describe('signed file links', () => {
  const id = '6f1c0f4e-2d4b-4c1e-9a3e-1a2b3c4d5e6f';
  const params = (url: string) => {
    const q = new URL(url, 'http://x').searchParams;
    return { uploadFileId: id, timestamp: q.get('timestamp')!, nonce: q.get('nonce')!, sign: q.get('sign')! };
  };

  it("signs Dify's file-preview link and verifies it until FILES_ACCESS_TIMEOUT", () => {
    let clock = 1_800_000_000;
    const urls = createFileUrls({
      secretKey: 'secret-one',
      filesUrl: 'https://files.example.com/',
      accessTimeoutSeconds: 300,
      now: () => clock,
    });
    const link = urls.sign(id);
    expect(link).toMatch(
      new RegExp(
        `^https://files\\.example\\.com/files/${id}/file-preview\\?timestamp=1800000000&nonce=[0-9a-f]{32}&sign=[A-Za-z0-9_-]{43}%3D$`,
      ),
    );
    expect(urls.verify(params(link))).toBe(true);
    clock += 300;
    expect(urls.verify(params(link))).toBe(true);
    clock += 1;
    expect(urls.verify(params(link))).toBe(false);
  });

  it('refuses another file, another key, or a changed parameter', () => {
    const urls = createFileUrls({ secretKey: 'secret-one', filesUrl: '', accessTimeoutSeconds: 300 });
    const link = urls.sign(id);
    expect(link.startsWith(`/files/${id}/file-preview?`)).toBe(true);
    const good = params(link);
    expect(urls.verify({ ...good, uploadFileId: id.replace('6f', '7f') })).toBe(false);
    expect(urls.verify({ ...good, nonce: good.nonce.slice(0, -1) + (good.nonce.endsWith('0') ? '1' : '0') })).toBe(
      false,
    );
    expect(urls.verify({ ...good, sign: 'AAAA' })).toBe(false);
    expect(createFileUrls({ secretKey: 'secret-two', filesUrl: '', accessTimeoutSeconds: 300 }).verify(good)).toBe(
      false,
    );
  });
});
