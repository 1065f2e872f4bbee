import { type Problems, UserErrorCode } from '../../errors';

/** Field validators shared by the services. Each returns true when the value is acceptable. */

const USCC_CHARSET = '0123456789ABCDEFGHJKLMNPQRTUWXY';
const USCC_WEIGHTS = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28];

/**
 * Unified social credit code (統一社會信用代碼, GB 32100-2015): 18 characters from a 31-character
 * set (no I, O, S, V, Z); the last is a check character over the first 17 (weights 3^i mod 31).
 */
export function isValidUscc(code: string): boolean {
  if (!/^[0-9A-HJ-NPQRTUWXY]{18}$/.test(code)) return false;
  const sum = USCC_WEIGHTS.reduce((acc, weight, i) => acc + USCC_CHARSET.indexOf(code[i]) * weight, 0);
  const check = (31 - (sum % 31)) % 31;
  return code[17] === USCC_CHARSET[check];
}

/** A mainland China mobile number (11 digits starting 13–19, optionally +86) or any E.164 number. */
export function isValidPhone(phone: string): boolean {
  return /^(\+86)?1[3-9]\d{9}$/.test(phone) || /^\+[1-9]\d{7,14}$/.test(phone);
}

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

/**
 * The longest email accepted anywhere (register, invitations, staff:create, application contacts):
 * RFC 5321's 256-octet path less its angle brackets. Sign-in treats a longer one as unknown.
 */
export const MAX_EMAIL_LENGTH = 254;

export function isValidEmail(email: string): boolean {
  return email.length <= MAX_EMAIL_LENGTH && EMAIL.test(email);
}

export function isHttpUrl(value: string): boolean {
  if (value.length > 2048) return false;
  try {
    const url = new URL(value);
    return url.protocol === 'http:' || url.protocol === 'https:';
  } catch {
    return false;
  }
}

/** ASCII slug: lower-case letters, digits and single dashes; empty when nothing ASCII remains. */
export function slugify(text: string): string {
  return text
    .normalize('NFKD')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 60);
}

export function isValidSlug(slug: string): boolean {
  return /^[a-z0-9]+(-[a-z0-9]+)*$/.test(slug) && slug.length <= 60;
}

/** Length in characters (code points), so 無線藍牙耳機 counts 6. */
export function charLength(text: string): number {
  return [...text].length;
}

/** A UTF-16 surrogate without its partner: not a character; PostgreSQL's json refuses it, text columns turn it into U+FFFD. */
const LONE_SURROGATE = /\p{Cs}/u;
/** Control characters (Unicode Cc: U+0000–U+001F, U+007F–U+009F). */
const CONTROL = /\p{Cc}/u;
/** Control characters other than the tab and line breaks a multi-line text may hold. */
const CONTROL_BUT_LINE_BREAKS = /(?![\t\n\r])\p{Cc}/u;

export type TextFault = 'surrogate' | 'control';

/**
 * The text rule every string input obeys: no lone surrogate and no control character, except
 * that `multiline` text may hold tabs and line breaks (\t, \n, \r). Undefined when `value` obeys it.
 */
export function textFault(value: string, multiline: boolean): TextFault | undefined {
  if (LONE_SURROGATE.test(value)) return 'surrogate';
  if ((multiline ? CONTROL_BUT_LINE_BREAKS : CONTROL).test(value)) return 'control';
  return undefined;
}

/** Explains a text-rule fault of the field called `label`. */
export function textFaultMessage(label: string, fault: TextFault, multiline: boolean): string {
  if (fault === 'surrogate') return `${label} contains an unpaired UTF-16 surrogate, which is not a character`;
  return multiline ? `${label} contains control characters other than tabs and line breaks` : `${label} must be one line without tabs or other control characters`;
}

/**
 * Trims a text field and reports it when it breaks the text rule (here, for any field, tabs and
 * line breaks pass: the API boundary refuses them in single-line fields) or when its length (in
 * characters) is outside [min, max]. For services called directly, by seeds and jobs, too.
 */
export function checkText(problems: Problems, value: string, path: string[], min: number, max: number, label: string): string {
  const trimmed = value.trim();
  // PostgreSQL cannot store NUL nor a lone surrogate, and no other control character belongs in a text field.
  const fault = textFault(trimmed, true);
  if (fault) {
    problems.add(UserErrorCode.INVALID_INPUT, textFaultMessage(label, fault, true), path);
    return trimmed;
  }
  if (charLength(trimmed) < min || charLength(trimmed) > max) problems.add(UserErrorCode.INVALID_INPUT, `${label} must be ${min} to ${max} characters`, path);
  return trimmed;
}

/** A parcel's carrier (1–60 characters) and tracking number (4–40 letters, digits and dashes), from `input.carrier` and `input.trackingNumber`. */
export function checkParcel(problems: Problems, input: { carrier: string; trackingNumber: string }): { carrier: string; trackingNumber: string } {
  const carrier = checkText(problems, input.carrier, ['input', 'carrier'], 1, 60, 'Carrier');
  const trackingNumber = checkText(problems, input.trackingNumber, ['input', 'trackingNumber'], 4, 40, 'Tracking number');
  if (!/^[A-Za-z0-9-]+$/.test(trackingNumber)) problems.add(UserErrorCode.INVALID_INPUT, 'Tracking numbers are letters, digits and dashes', ['input', 'trackingNumber']);
  return { carrier, trackingNumber };
}

/** Photos and files a message or case may carry (the seeds' nine-picture limit). */
export const MAX_ATTACHMENTS = 9;

/** Attachment URLs at `input.<field>`: at most MAX_ATTACHMENTS, each an http(s) URL (trimmed). */
export function checkAttachmentUrls(problems: Problems, urls: readonly string[] | null | undefined, field: string): string[] {
  const list = (urls ?? []).map((u) => u.trim());
  if (list.length > MAX_ATTACHMENTS) problems.add(UserErrorCode.INVALID_INPUT, `At most ${MAX_ATTACHMENTS} attachments`, ['input', field]);
  list.forEach((url, i) => {
    if (!isHttpUrl(url)) problems.add(UserErrorCode.INVALID_INPUT, 'An attachment must be an http or https URL of at most 2048 characters', ['input', field, String(i)]);
  });
  return list;
}
