import { createSign, generateKeyPairSync } from 'node:crypto';
import { expect } from 'chai';
import { isValidWebhookSignature } from '../../freshchat/webhook-signature.js';

/**
 * X-Freshchat-Signature is one standard base64 value (RFC 4648 §4). Node's base64 decoder
 * skips characters it does not know and accepts missing padding and the URL-safe alphabet,
 * so each malformed form below decodes to the right signature bytes: the check must reject
 * the text itself, not rely on verification failing.
 */
describe('webhook signature header (strict base64)', () => {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const sign = (body: Buffer) => createSign('RSA-SHA256').update(body).sign(privateKey, 'base64');

  // A body whose signature uses '+' or '/', so that its base64url form really differs in alphabet too.
  let body = Buffer.from('{"actor":{"actor_type":"user"},"action":"message_create"}');
  let signature = sign(body);
  for (let i = 0; !/[+/]/.test(signature); i++) {
    body = Buffer.from(`{"actor":{"actor_type":"user"},"action":"message_create","n":${i}}`);
    signature = sign(body);
  }
  const valid = (header: string | undefined) => isValidWebhookSignature(body, header, publicKey);

  it('accepts the exact signature (2048-bit key: 344 characters ending in "==")', () => {
    expect(signature).to.have.length(344).and.match(/==$/);
    expect(valid(signature)).to.equal(true);
  });

  it('accepts surrounding spaces and a trailing newline', () => {
    expect(valid(`  ${signature}  `)).to.equal(true);
    expect(valid(`${signature}\n`)).to.equal(true);
    expect(valid(`\t${signature}\r\n`)).to.equal(true);
  });

  it('rejects a signature of another body (the check is still a verification)', () => {
    expect(isValidWebhookSignature(Buffer.concat([body, Buffer.from(' ')]), signature, publicKey)).to.equal(false);
  });

  const malformed: Record<string, () => string | undefined> = {
    'inner spaces': () => `${signature.slice(0, 100)} ${signature.slice(100, 200)} ${signature.slice(200)}`,
    'a tab inside': () => `${signature.slice(0, 172)}\t${signature.slice(172)}`,
    'a newline inside': () => `${signature.slice(0, 172)}\n${signature.slice(172)}`,
    'padding removed': () => signature.replace(/=+$/, ''),
    'one padding character removed': () => signature.slice(0, -1),
    'base64url form (- and _, no padding)': () => signature.replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, ''),
    'base64url alphabet with padding': () => signature.replace(/\+/g, '-').replace(/\//g, '_'),
    'trailing junk "!!"': () => `${signature}!!`,
    'trailing junk "AAAA"': () => `${signature}AAAA`,
    'two values joined by a comma': () => `${signature},${signature}`,
    'two values joined by ", " (a repeated header)': () => `${signature}, ${signature}`,
    'empty': () => '',
    'only whitespace': () => '   ',
    'missing': () => undefined,
  };
  for (const [what, header] of Object.entries(malformed)) {
    it(`rejects ${what}`, () => {
      expect(valid(header())).to.equal(false);
    });
  }

  it('rejects non-zero padding bits (a second spelling of the same bytes)', () => {
    // The last character before "==" carries 2 data bits and 4 padding bits; flipping a padding bit keeps the bytes.
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
    const last = alphabet.indexOf(signature.at(-3)!);
    const variant = `${signature.slice(0, -3)}${alphabet[last ^ 1]}==`;
    expect(Buffer.from(variant, 'base64').equals(Buffer.from(signature, 'base64'))).to.equal(true);
    expect(valid(variant)).to.equal(false);
  });

  it('keeps the length guard', () => {
    expect(valid(`${signature}${' '.repeat(2048)}`)).to.equal(false);
  });
});
