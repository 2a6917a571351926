import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type {} from '@fastify/static';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { Logger as Pino } from 'pino';

/** Where `npm run build` puts the console (Vite's output): dist/console next to dist/apps. */
export const CONSOLE_ROOT = fileURLToPath(new URL('../../../../console/', import.meta.url));
export const CONSOLE_PREFIX = '/console/';

/**
 * Only this origin, no inline script or style, no plugins, no framing, no form posts elsewhere:
 * the console is Vite-built modules and one stylesheet, and it talks to Lintel's own API.
 */
export const CONSOLE_CSP = [
  "default-src 'none'", "script-src 'self'", "style-src 'self'", "img-src 'self' data:", "connect-src 'self'",
  "font-src 'self'", "manifest-src 'self'", "base-uri 'none'", "form-action 'none'", "frame-ancestors 'none'",
].join('; ');

const SECURITY_HEADERS: Record<string, string> = {
  'Content-Security-Policy': CONSOLE_CSP,
  'X-Frame-Options': 'DENY',
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Resource-Policy': 'same-origin',
  'Permissions-Policy': 'camera=(), microphone=(), geolocation=(), payment=()',
};

/**
 * Serves the browser console (apps/console, built into dist/console) at `/console/` of the
 * identity port, with the security headers above on every answer under it (404s included).
 * Vite names assets by content hash, so they are cached for a year; index.html never is.
 */
export function serveConsole(app: NestFastifyApplication, logger: Pino, root = CONSOLE_ROOT): void {
  if (!existsSync(`${root}index.html`)) {
    logger.warn({ root }, 'console not built (npm run build builds it); /console/ is not served');
    return;
  }
  const fastify = app.getHttpAdapter().getInstance();
  fastify.addHook('onSend', (req, reply, payload, done) => {
    if (req.url === '/console' || req.url.startsWith(CONSOLE_PREFIX)) {
      for (const [name, value] of Object.entries(SECURITY_HEADERS)) reply.header(name, value);
      const asset = req.url.startsWith(`${CONSOLE_PREFIX}assets/`) && reply.statusCode === 200;
      reply.header('Cache-Control', asset ? 'public, max-age=31536000, immutable' : 'no-cache');
    }
    done(null, payload);
  });
  // The router ignores trailing slashes, so this route is both /console and /console/.
  fastify.get('/console', (req, reply) => {
    const path = req.originalUrl.split('?')[0]!;
    // Relative to where the client found us: /console or /identity/console.
    if (!path.endsWith('/')) return reply.redirect(`${path}/`, 301);
    return reply.sendFile('index.html');
  });
  app.useStaticAssets({
    root,
    prefix: CONSOLE_PREFIX,
    index: 'index.html',
    redirect: false,
    wildcard: true,
    dotfiles: 'deny',
    cacheControl: false,
  });
}
