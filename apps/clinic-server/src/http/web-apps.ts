/**
 * Serves the built browser apps (the clinician programmer, the patient's therapy manager and any
 * other page an issue adds) from the clinic server's own origin, so they reach the API without CORS.
 * Each app is a Vite build in its workspace's dist/ folder; a path under its prefix that names no
 * file gets index.html (the apps route on the client). An app that was never built answers 503 with
 * the command that builds it, rather than a bare 404.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance } from 'fastify';

export interface WebApp {
  /** URL prefix with both slashes, e.g. "/programmer/". */
  prefix: string;
  /** Folder holding index.html and the hashed assets. */
  dir: string;
  title: string;
}

const appsDir = fileURLToPath(new URL('../../../', import.meta.url));

export const DEFAULT_WEB_APPS: readonly WebApp[] = [
  { prefix: '/programmer/', dir: join(appsDir, 'programmer', 'dist'), title: 'Clinician programmer' },
  { prefix: '/ptm/', dir: join(appsDir, 'ptm', 'dist'), title: 'Personal therapy manager (patient app)' },
  { prefix: '/instructor/', dir: join(appsDir, 'instructor', 'dist'), title: 'Training instructor (ground truth and debrief)' },
];

export async function registerWebApps(app: FastifyInstance, webApps: readonly WebApp[]): Promise<void> {
  let first = true;
  for (const web of webApps) {
    if (!/^\/[a-z0-9-]+\/$/.test(web.prefix)) throw new Error(`web app prefix must look like "/name/", got "${web.prefix}"`);
    const built = existsSync(join(web.dir, 'index.html'));
    if (!built) {
      app.get(`${web.prefix}*`, (_req, reply) =>
        reply.code(503).type('text/plain').send(`${web.title} is not built: run "npm run build:web" in the repository, then reload.\n`),
      );
      app.get(web.prefix.slice(0, -1), (_req, reply) => reply.redirect(web.prefix));
      continue;
    }
    await app.register(fastifyStatic, {
      root: web.dir,
      prefix: web.prefix,
      // Only one registration may add the reply.sendFile decorator.
      decorateReply: first,
      wildcard: false,
      cacheControl: false,
      index: ['index.html'],
      // Hashed assets never change; index.html must always be fetched fresh to pick up a new build.
      setHeaders: (res, path) => {
        res.setHeader('cache-control', /[/\\]assets[/\\]/.test(path) ? 'public, max-age=31536000, immutable' : 'no-cache');
      },
    });
    first = false;
    app.get(web.prefix.slice(0, -1), (_req, reply) => reply.redirect(web.prefix));
    app.get(`${web.prefix}*`, (_req, reply) => reply.header('cache-control', 'no-cache').sendFile('index.html', web.dir));
  }
  app.get('/', (_req, reply) =>
    reply
      .type('text/html; charset=utf-8')
      .send(
        `<!doctype html><html lang="en"><meta charset="utf-8"><title>Thecal clinic server</title>` +
          `<h1>Thecal clinic server</h1><p>A simulator and reference, not a medical device.</p><ul>` +
          webApps.map((w) => `<li><a href="${w.prefix}">${w.title}</a></li>`).join('') +
          `<li><a href="/docs">API (OpenAPI)</a></li></ul></html>`,
      ),
  );
}
