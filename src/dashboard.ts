import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

/**
 * The staff analytics dashboard: a static page at `/dashboard` (and `/dashboard/`) that signs in
 * with the GraphQL `login` mutation and draws `platformMetrics`, `topProducts` and `topShops` with
 * Chart.js. No build step and no CDN: the page's files live in `src/dashboard/` and Chart.js's UMD
 * build is served from node_modules at `/dashboard/vendor/chart.umd.js`.
 *
 * The files are read once when the app is built. The build (`npm run build`, and `npm start` when it
 * builds) copies them to `dist/src/dashboard/` (scripts/copy-assets.js); a dist/ built by a bare
 * `tsc` still finds them in the source tree's `src/dashboard/`.
 * The page has no inline script or style, so it is served with a strict Content-Security-Policy.
 */

/** Where the page's files are: next to this module (src/ in tests and `npm run dev`, dist/src/ after the build), else the source tree's. */
function dashboardDirectory(): string | undefined {
  const candidates = [path.join(__dirname, 'dashboard'), path.resolve(__dirname, '..', '..', 'src', 'dashboard')];
  return candidates.find((dir) => existsSync(path.join(dir, 'index.html')));
}

/** Chart.js's UMD build (it sets `window.Chart`); its package exports only the entry points, so go from the CommonJS one. */
function chartJsFile(): string {
  return path.join(path.dirname(require.resolve('chart.js')), 'chart.umd.js');
}

interface Asset {
  body: Buffer;
  contentType: string;
  etag: string;
  cacheControl: string;
}

/** The page's own files may change with any deploy: revalidate each time (the ETag makes that a 304). */
const REVALIDATE = 'no-cache';
/** Chart.js changes only with its pinned version: a day is plenty. */
const VENDOR = 'public, max-age=86400';

/** No inline script or style anywhere, no third party: Chart.js styles canvases through the CSSOM, which style-src does not restrict. */
const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

function asset(file: string, contentType: string, cacheControl: string): Asset {
  const body = readFileSync(file);
  return { body, contentType, cacheControl, etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 27)}"` };
}

function send(request: FastifyRequest, reply: FastifyReply, file: Asset) {
  reply
    .header('content-type', file.contentType)
    .header('cache-control', file.cacheControl)
    .header('etag', file.etag)
    .header('x-content-type-options', 'nosniff');
  if (request.headers['if-none-match'] === file.etag) return reply.code(304).send();
  return reply.send(file.body);
}

export async function dashboardRoutes(http: FastifyInstance): Promise<void> {
  const dir = dashboardDirectory();
  if (!dir) {
    http.log.warn('src/dashboard/ not found: /dashboard answers 404');
    const missing = async (_request: FastifyRequest, reply: FastifyReply) => reply.code(404).send({ error: 'The dashboard is not installed with this server' });
    for (const url of ['/dashboard', '/dashboard/', '/dashboard/*']) http.get(url, missing);
    return;
  }

  const page = asset(path.join(dir, 'index.html'), 'text/html; charset=utf-8', REVALIDATE);
  const files = new Map<string, Asset>([
    ['dashboard.js', asset(path.join(dir, 'dashboard.js'), 'text/javascript; charset=utf-8', REVALIDATE)],
    ['dashboard.css', asset(path.join(dir, 'dashboard.css'), 'text/css; charset=utf-8', REVALIDATE)],
    ['vendor/chart.umd.js', asset(chartJsFile(), 'text/javascript; charset=utf-8', VENDOR)],
    ['vendor/chart.umd.js.map', asset(`${chartJsFile()}.map`, 'application/json; charset=utf-8', VENDOR)],
  ]);

  const sendPage = async (request: FastifyRequest, reply: FastifyReply) => {
    reply
      .header('content-security-policy', CONTENT_SECURITY_POLICY)
      .header('referrer-policy', 'no-referrer')
      .header('x-frame-options', 'DENY');
    return send(request, reply, page);
  };
  http.get('/dashboard', sendPage);
  http.get('/dashboard/', sendPage);
  http.get<{ Params: { '*': string } }>('/dashboard/*', async (request, reply) => {
    const file = files.get(request.params['*']);
    if (!file) return reply.code(404).send({ error: 'Not found' });
    return send(request, reply, file);
  });
}
