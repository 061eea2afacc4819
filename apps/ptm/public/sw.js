// The patient app's service worker: keeps the app shell (index.html, its hashed scripts and
// styles, the manifest and icons) so the app opens with no network. The API and the pump are never
// cached: what the pump says is only ever read from the pump, and clinic data goes through the
// app's own outbox.
// Replaced at build time by the build's version (vite.config.ts), so each build has its own cache.
const CACHE = 'thecal-ptm-shell-dev';
const SCOPE = new URL(self.registration.scope).pathname; // "/ptm/"
const STATIC = ['', 'index.html', 'manifest.webmanifest', 'icon.svg', 'icon-192.png', 'icon-512.png'].map((p) => SCOPE + p);

async function cacheShell() {
  const cache = await caches.open(CACHE);
  const res = await fetch(SCOPE + 'index.html', { cache: 'no-store' });
  if (!res.ok) throw new Error(`index.html: ${res.status}`);
  const html = await res.clone().text();
  // The build names its files by content hash; index.html is the list of what this version needs.
  const assets = [...html.matchAll(/(?:src|href)="([^"]+\/assets\/[^"]+)"/g)].map((m) => m[1]);
  await cache.put(SCOPE + 'index.html', res.clone());
  await cache.put(SCOPE, res);
  await cache.addAll([...new Set([...assets, ...STATIC.filter((u) => u !== SCOPE && u !== SCOPE + 'index.html')])]);
}

self.addEventListener('install', (event) => {
  event.waitUntil(cacheShell().then(() => self.skipWaiting()));
});

self.addEventListener('activate', (event) => {
  event.waitUntil(
    caches
      .keys()
      .then((keys) => Promise.all(keys.filter((k) => k !== CACHE).map((k) => caches.delete(k))))
      .then(() => self.clients.claim()),
  );
});

self.addEventListener('fetch', (event) => {
  const req = event.request;
  if (req.method !== 'GET') return;
  const url = new URL(req.url);
  if (url.origin !== self.location.origin || !url.pathname.startsWith(SCOPE)) return;
  if (req.mode === 'navigate') {
    // Network first so a new build is picked up; the cached shell when offline.
    event.respondWith(
      fetch(req)
        .then((res) => {
          if (res.ok) {
            const copy = res.clone();
            void caches.open(CACHE).then((c) => c.put(SCOPE + 'index.html', copy));
          }
          return res;
        })
        .catch(() => caches.match(SCOPE + 'index.html').then((r) => r ?? Response.error())),
    );
    return;
  }
  // Hashed assets never change: cache first, and keep what is fetched.
  event.respondWith(
    caches.match(req).then(
      (hit) =>
        hit ??
        fetch(req).then((res) => {
          if (res.ok && url.pathname.startsWith(SCOPE + 'assets/')) {
            const copy = res.clone();
            void caches.open(CACHE).then((c) => c.put(req, copy));
          }
          return res;
        }),
    ),
  );
});
