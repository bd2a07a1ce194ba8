/**
 * The challenge proof (Windows, where another user may open a named pipe): each side proves it
 * knows the record's secret with an HMAC-SHA256 over the other's random nonce; the secret never
 * goes on the wire. Node's crypto is loaded on first use only.
 */
import { randomBytes } from '../random.js';

/** A fresh random challenge. */
export function newNonce(): string {
  return randomBytes(18).toString('base64');
}

/**
 * The primary's proof: HMAC-SHA256 of the second instance's nonce.
 * @param secret - the secret of the primary's record
 * @param secondaryNonce - the nonce from `hello`
 */
export function primaryProof(secret: Buffer, secondaryNonce: string): string {
  return mac(secret, `primary\0${secondaryNonce}`);
}

/**
 * The second instance's proof (its `auth`): HMAC-SHA256 of the primary's nonce, bound to its own.
 * @param secret - the secret of the primary's record
 * @param primaryNonce - the nonce from `welcome`
 * @param secondaryNonce - the nonce the second instance sent in `hello`
 */
export function secondaryProof(secret: Buffer, primaryNonce: string, secondaryNonce: string): string {
  return mac(secret, `secondary\0${primaryNonce}\0${secondaryNonce}`);
}

function mac(secret: Buffer, text: string): string {
  return process.getBuiltinModule('node:crypto').createHmac('sha256', secret).update(text, 'utf8').digest('base64');
}
