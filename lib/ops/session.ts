/**
 * The /ops session (CONTRACT §8): a cookie that carries its own expiry signed with OPS_KEY, so any
 * gateway of the cluster can check it without shared session state, and changing the key ends
 * every session at once.
 */
import crypto from 'node:crypto';
import type { OpsSettings } from '../config';

export const OPS_COOKIE = 'osago_ops';

export type OpsAccess = 'allowed' | 'login' | 'forbidden';

function signature(key: string, expiresMs: number): string {
  return crypto.createHmac('sha256', key).update(`ops-session:${expiresMs}`).digest('base64url');
}

function sameText(a: string, b: string): boolean {
  // digests first: timingSafeEqual needs equal lengths, and the key's length is not to leak either
  const da = crypto.createHash('sha256').update(a).digest();
  const db = crypto.createHash('sha256').update(b).digest();
  return crypto.timingSafeEqual(da, db);
}

export function cookieValue(header: string | undefined, name: string): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

export function isValidSession(key: string, token: string | undefined, nowMs: number): boolean {
  if (!token) return false;
  const match = /^(\d{1,15})\.([A-Za-z0-9_-]{43})$/.exec(token);
  if (!match) return false;
  const expiresMs = Number(match[1]);
  return expiresMs > nowMs && sameText(match[2], signature(key, expiresMs));
}

export function opsAccess(settings: OpsSettings, cookieHeader: string | undefined, nowMs = Date.now()): OpsAccess {
  if (settings.access !== 'key') return settings.access === 'open' ? 'allowed' : 'forbidden';
  return isValidSession(settings.key, cookieValue(cookieHeader, OPS_COOKIE), nowMs) ? 'allowed' : 'login';
}

export function isOpsKey(settings: OpsSettings, given: unknown): boolean {
  return settings.access === 'key' && typeof given === 'string' && given.length > 0 && sameText(given, settings.key);
}

/** `Secure` where the page came over https (directly or as a trusted proxy says). */
export function sessionCookie(settings: Extract<OpsSettings, { access: 'key' }>, nowMs: number, secure: boolean): string {
  const expiresMs = nowMs + settings.sessionMs;
  const token = `${expiresMs}.${signature(settings.key, expiresMs)}`;
  return `${OPS_COOKIE}=${token}; Path=/; Max-Age=${Math.floor(settings.sessionMs / 1000)}; HttpOnly; SameSite=Strict${secure ? '; Secure' : ''}`;
}

export function clearedSessionCookie(secure: boolean): string {
  return `${OPS_COOKIE}=; Path=/; Max-Age=0; HttpOnly; SameSite=Strict${secure ? '; Secure' : ''}`;
}
