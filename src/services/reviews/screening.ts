import type { EntityManager } from '@mikro-orm/postgresql';
import type { Context } from '../../context';
import { rowShape, selectRows } from '../../db/rows';
import { BlockedWord, ReviewFlag } from '../../entities';
import { ForbiddenError, Problems, UserErrorCode } from '../../errors';
import { charLength, REVIEW_STAFF } from '../shared';
import { recordAudit } from '../platform';

/**
 * What holds a text for moderation instead of publishing it (our own rules, since the seeds ask
 * for genuine reviews and nothing about diverting buyers): a word of the staff's blocked list, a
 * phone number or a contact handle, or a URL or web address. The text is NFKC-normalised first,
 * so full-width digits and letters are caught as well, and "。" counts as a dot. A false alarm costs
 * a moderator's glance; a miss sends buyers off the platform, so the patterns lean to flagging.
 */

/**
 * A mainland mobile (11 digits from 13–19, however grouped: "138 1234 5678", "138.1234.5678",
 * "+86 13812345678"), a landline with its area code set apart ("021-61234567", "(021) 6123 4567"),
 * an international number ("+44 20 7946 0958"), none inside a longer run of digits; or a number
 * after a contact word (电话, 微信, QQ, tel …).
 */
const PHONE =
  /(?<!\d)(?:(?:\+?86[\s.-]?)?1[3-9]\d(?:[\s.-]?\d){8}|(?:\(0\d{2,3}\)|0\d{2,3}[\s.-])\s?\d{3,4}[\s.-]?\d{4}|\+\d{1,3}(?:[\s.-]?\d){7,12})(?!\d)|(?:電話|电话|手機|手机|微信|vx|wx|qq|tel|whatsapp)\s*[:：]?\s*[\w.-]{5,}/iu;
/** A URL, a www. address, or a domain name with a common ending (not words such as "quality.Me"). */
const URL_LIKE = /(?:https?:\/\/|www\.)\S+|\b[a-z0-9][a-z0-9-]{1,62}\.(?:com|cn|net|org|io|cc|xyz|shop|info|vip|site|online|link|tv|app|xin)(?:\/\S*)?(?![a-z0-9])/iu;

/** The flags a text raises by its form alone (phone numbers, URLs). */
export function formFlags(text: string): ReviewFlag[] {
  // NFKC turns full-width digits and letters into ASCII; the ideographic full stop stands for a dot.
  const normal = text.normalize('NFKC').replace(/[。．｡]/gu, '.');
  const flags: ReviewFlag[] = [];
  if (PHONE.test(normal)) flags.push(ReviewFlag.PHONE_NUMBER);
  if (URL_LIKE.test(normal)) flags.push(ReviewFlag.URL);
  return flags;
}

/**
 * The flags of `texts` (a review's body, a follow-up, a reply): their form, and whether any holds a
 * blocked word — one query, the match done by PostgreSQL over the whole list.
 */
export async function screen(em: EntityManager, ...texts: (string | null | undefined)[]): Promise<ReviewFlag[]> {
  const present = texts.filter((t): t is string => !!t);
  if (present.length === 0) return [];
  const joined = present.join('\n').normalize('NFKC').toLowerCase();
  const flags = new Set(formFlags(joined));
  const [hit] = await selectRows(em, rowShape({ one: 'int' }), 'select 1 as one from blocked_word where strpos(?, word) > 0 limit 1', [joined]);
  if (hit) flags.add(ReviewFlag.BLOCKED_WORD);
  return [...flags];
}

// --- The blocked list (staff OPERATIONS) --------------------------------------------------------

function requireReviewStaff(ctx: Context): void {
  if (!ctx.viewer.hasStaffRole(...REVIEW_STAFF)) throw new ForbiddenError();
}

/** The blocked words, alphabetically. */
export async function listBlockedWords(ctx: Context): Promise<BlockedWord[]> {
  requireReviewStaff(ctx);
  return ctx.em.find(BlockedWord, {}, { orderBy: { word: 'asc' } });
}

/** Lower-cased, NFKC-normalised, trimmed words of 1 to 40 characters, at most 100 at once. */
function parseWords(words: string[]): string[] {
  const problems = new Problems();
  if (words.length < 1 || words.length > 100) problems.add(UserErrorCode.INVALID_INPUT, 'Give 1 to 100 words', ['input', 'words']);
  const parsed = words.map((w, i) => {
    const word = w.normalize('NFKC').trim().toLowerCase();
    if (charLength(word) < 1 || charLength(word) > 40 || /\p{Cc}/u.test(word)) problems.add(UserErrorCode.INVALID_INPUT, 'A blocked word has 1 to 40 characters', ['input', 'words', String(i)]);
    return word;
  });
  problems.throwIfAny();
  return [...new Set(parsed)];
}

/** Adds words to the blocked list (those already there stay); audited. Applies to texts written from now on. */
export async function addBlockedWords(ctx: Context, words: string[]): Promise<BlockedWord[]> {
  requireReviewStaff(ctx);
  const parsed = parseWords(words);
  return ctx.em.transactional(async (em) => {
    await em.execute('insert into blocked_word (word, created_at) select unnest(array[?]::text[]), ? on conflict (word) do nothing', [parsed, ctx.now()]);
    recordAudit(ctx, em, { action: 'blockedWords.add', targetType: 'BlockedWord', targetId: parsed.join(',').slice(0, 200), after: { words: parsed } });
    return em.find(BlockedWord, {}, { orderBy: { word: 'asc' } });
  });
}

/** Removes words from the blocked list (absent ones are ignored); audited. */
export async function removeBlockedWords(ctx: Context, words: string[]): Promise<BlockedWord[]> {
  requireReviewStaff(ctx);
  const parsed = parseWords(words);
  return ctx.em.transactional(async (em) => {
    await em.execute('delete from blocked_word where word in (?)', [parsed]);
    recordAudit(ctx, em, { action: 'blockedWords.remove', targetType: 'BlockedWord', targetId: parsed.join(',').slice(0, 200), before: { words: parsed } });
    return em.find(BlockedWord, {}, { orderBy: { word: 'asc' } });
  });
}
