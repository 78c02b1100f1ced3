import type { Request } from 'express';

/**
 * The client's address, the one every rate limit and log names: the socket's peer, or the address
 * a trusted proxy (GRMS_TRUST_PROXY, Express `trust proxy`) put in X-Forwarded-For. An IPv4
 * address seen through an IPv6 socket (::ffff:10.0.0.7) is written as IPv4, so one client has one key.
 */
export function clientAddress(req: Request): string {
  const address = req.ip ?? req.socket.remoteAddress ?? 'unknown';
  return address.replace(/^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/i, '$1').slice(0, 100);
}
