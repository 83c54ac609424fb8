import { createHash, timingSafeEqual } from 'node:crypto';
import type { NextFunction, Request, Response } from 'express';

/**
 * Requires `Authorization: Bearer <token>` with one of `tokens`; with no token configured
 * every request passes. Tokens compare as digests: equal lengths for timingSafeEqual, and a
 * token's length does not leak either.
 */
export function bearerAuth(tokens: Array<string | undefined>, realm: string, settingNames: string) {
  const digests = tokens.filter((t): t is string => !!t).map(sha256);
  return (req: Request, res: Response, next: NextFunction): void => {
    if (digests.length === 0) return next();
    const token = /^Bearer +(\S+) *$/i.exec(req.get('Authorization') ?? '')?.[1];
    if (token !== undefined) {
      const presented = sha256(token);
      if (digests.some((digest) => timingSafeEqual(presented, digest))) return next();
    }
    res.set('WWW-Authenticate', `Bearer realm="${realm}"`);
    res.status(401).json({ error: `a valid Authorization: Bearer <${settingNames}> header is required` });
  };
}

function sha256(value: string): Buffer {
  return createHash('sha256').update(value, 'utf8').digest();
}
