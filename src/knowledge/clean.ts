/**
 * Dify's pre-processing (core/indexing_runner CleanProcessor): control characters always go; the
 * rules `remove_extra_spaces` and `remove_urls_emails` apply when enabled.
 */
export interface PreProcessingRule {
  id: 'remove_extra_spaces' | 'remove_urls_emails' | string;
  enabled: boolean;
}

const CONTROL = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F\uFFFE]/g;
const EXTRA_SPACES = /[\t\f\r\u0020\u00a0\u1680\u180e\u2000-\u200a\u202f\u205f\u3000]{2,}/g;
const EMAILS = /[a-zA-Z0-9_.+-]+@[a-zA-Z0-9-]+\.[a-zA-Z0-9-.]+/g;
const URLS = /https?:\/\/[^\s]+/g;

export function cleanText(text: string, rules: readonly PreProcessingRule[]): string {
  let out = text.replace(/<\|/g, '<').replace(/\|>/g, '>').replace(CONTROL, '');
  for (const rule of rules) {
    if (!rule.enabled) continue;
    if (rule.id === 'remove_extra_spaces') out = out.replace(/\n{3,}/g, '\n\n').replace(EXTRA_SPACES, ' ');
    else if (rule.id === 'remove_urls_emails') out = out.replace(EMAILS, '').replace(URLS, '');
  }
  return out;
}
