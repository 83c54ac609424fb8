import { createHash, timingSafeEqual } from 'node:crypto';
import type { NextFunction, Request, Response } from 'express';

/**
 * Requires one of `tokens`, as `Authorization: Bearer <token>` (Prometheus, curl, the
 * Temporal CLI's codec auth) or as the password of HTTP Basic with any user name (a browser:
 * it cannot add a bearer header to a navigation, but it prompts for Basic and then sends it on
 * every request of the page). With no token configured every request passes. Tokens compare
 * as digests: equal lengths for timingSafeEqual, and a token's length does not leak either.
 */
export function tokenAuth(tokens: Array<string | undefined>, realm: string, settingNames: string) {
  const digests = tokens.filter((t): t is string => !!t).map(sha256);
  return (req: Request, res: Response, next: NextFunction): void => {
    if (digests.length === 0) return next();
    const token = presentedToken(req.get('Authorization') ?? '');
    if (token !== undefined) {
      const presented = sha256(token);
      if (digests.some((digest) => timingSafeEqual(presented, digest))) return next();
    }
    // Only a page load asks for the browser's login prompt; an API client (Accept: */*) keeps the bearer challenge.
    const wantsPage = /\btext\/html\b/i.test(req.get('Accept') ?? '');
    res.set('WWW-Authenticate', wantsPage ? `Basic realm="${realm}"` : `Bearer realm="${realm}"`);
    res.status(401).json({ error: `a valid Authorization: Bearer <${settingNames}> header (or Basic with it as the password) is required` });
  };
}

function presentedToken(authorization: string): string | undefined {
  const bearer = /^Bearer +(\S+) *$/i.exec(authorization)?.[1];
  if (bearer !== undefined) return bearer;
  const basic = /^Basic +([A-Za-z0-9+/=]+) *$/i.exec(authorization)?.[1];
  if (basic === undefined) return undefined;
  const credentials = Buffer.from(basic, 'base64').toString('utf8');
  const colon = credentials.indexOf(':');
  return colon >= 0 ? credentials.slice(colon + 1) : undefined;
}

function sha256(value: string): Buffer {
  return createHash('sha256').update(value, 'utf8').digest();
}
