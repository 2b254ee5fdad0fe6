import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * Signed links to uploaded files, as Dify makes them (core/file/helpers.py): `{FILES_URL}/files/<id>/
 * file-preview?timestamp&nonce&sign`, the sign an HMAC-SHA256 with SECRET_KEY of
 * `file-preview|<id>|<timestamp>|<nonce>` (base64url), valid FILES_ACCESS_TIMEOUT seconds. Whoever
 * holds the link can fetch the file until then, without a key: that is how Dify's clients show images.
 */
export interface FileUrls {
  /** The signed preview link of an upload. */
  sign(uploadFileId: string): string;
  /** true when the link's parameters were made by sign() with this SECRET_KEY and have not expired. */
  verify(input: { uploadFileId: string; timestamp: string; nonce: string; sign: string }): boolean;
}

export function createFileUrls(options: {
  secretKey: string;
  filesUrl: string;
  accessTimeoutSeconds: number;
  now?: () => number;
}): FileUrls {
  const now = options.now ?? (() => Math.floor(Date.now() / 1000));
  const base = options.filesUrl.replace(/\/+$/, '');
  const mac = (id: string, timestamp: string, nonce: string): Buffer =>
    createHmac('sha256', options.secretKey).update(`file-preview|${id}|${timestamp}|${nonce}`).digest();
  return {
    sign: (id) => {
      const timestamp = String(now());
      const nonce = randomBytes(16).toString('hex');
      const sign = mac(id, timestamp, nonce).toString('base64url');
      // Python's urlsafe_b64encode keeps the padding: Dify's links end with `=`.
      const padded = sign.padEnd(Math.ceil(sign.length / 4) * 4, '=');
      return `${base}/files/${id}/file-preview?${new URLSearchParams({ timestamp, nonce, sign: padded })}`;
    },
    verify: ({ uploadFileId, timestamp, nonce, sign }) => {
      if (!/^\d{1,12}$/.test(timestamp) || !/^[0-9a-f]{1,64}$/i.test(nonce)) return false;
      const expected = mac(uploadFileId, timestamp, nonce);
      const given = Buffer.from(sign.replace(/=+$/, ''), 'base64url');
      if (given.length !== expected.length || !timingSafeEqual(given, expected)) return false;
      const age = now() - Number(timestamp);
      return age >= -60 && age <= options.accessTimeoutSeconds;
    },
  };
}
