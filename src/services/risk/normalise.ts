import { BlacklistKind } from '../../entities';

/**
 * The keys blacklists and velocity rules match on. A phone is its digits (a leading 86 country
 * code dropped from a 13-digit number); an address is province + city + district + street, lower
 * case, without spaces or punctuation; an email domain is lower case without "@". Checkouts store
 * the delivery phone's and address's keys (`checkout.phone_key`, `checkout.address_key`).
 */
export function phoneKey(phone: string): string {
  const digits = phone.replace(/\D/g, '');
  return digits.length === 13 && digits.startsWith('86') ? digits.slice(2) : digits;
}

export function addressKey(parts: { province: string; city: string; district: string; line1: string }): string {
  return compact(`${parts.province}${parts.city}${parts.district}${parts.line1}`);
}

/** Lower case, without whitespace or punctuation (ASCII and CJK): "上海市 浦東新區，世紀大道1號" → "上海市浦東新區世紀大道1號". */
export function compact(text: string): string {
  return text.normalize('NFKC').toLowerCase().replace(/[\s\p{P}\p{S}]/gu, '');
}

export function emailDomain(email: string): string {
  const at = email.lastIndexOf('@');
  return (at >= 0 ? email.slice(at + 1) : email).trim().toLowerCase().replace(/^@/, '');
}

/**
 * A blacklist value as stored and matched, or null when it cannot be one of its kind. IP values
 * are checked as CIDR by PostgreSQL when stored (`value::cidr`); here only trimmed.
 */
export function normaliseBlacklistValue(kind: BlacklistKind, raw: string): string | null {
  const value = raw.trim();
  switch (kind) {
    case BlacklistKind.PHONE: {
      const key = phoneKey(value);
      return key.length >= 5 && key.length <= 15 ? key : null;
    }
    case BlacklistKind.ADDRESS: {
      const key = compact(value);
      return key.length >= 4 && key.length <= 300 ? key : null;
    }
    case BlacklistKind.EMAIL_DOMAIN: {
      const domain = emailDomain(value);
      return /^(?=.{3,253}$)[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)+$/.test(domain) ? domain : null;
    }
    case BlacklistKind.DEVICE:
      return /^[\x21-\x7e]{1,200}$/.test(value) ? value : null;
    case BlacklistKind.IP:
      return /^[0-9a-fA-F.:/]{2,50}$/.test(value) ? value.toLowerCase() : null;
  }
}
