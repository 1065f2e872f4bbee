/** The part of `negotiator` (HTTP content negotiation, as Apollo Server negotiates its responses) used here. */
declare module 'negotiator' {
  export default class Negotiator {
    constructor(request: { headers: Record<string, string | string[] | undefined> });
    mediaType(available?: string[]): string | undefined;
  }
}
