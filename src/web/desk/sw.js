// Service worker of the City Card desk page: keeps the page itself available
// offline. The trust list, revocation list and config are cached by the page
// (app.js) in the cache "citycard-data" only after it has verified them, so a
// bad download never replaces a good list.
//
// The server (or `citycard desk export`) replaces the version below with a
// hash of the page's files, so a new release replaces the cached page.
const VERSION = '__CITYCARD_ASSETS_VERSION__';
const SHELL_CACHE = `citycard-shell-${VERSION}`;
const SHELL = ['./', 'app.js', 'verifier.js', 'style.css', 'manifest.webmanifest', 'icon.svg', 'icon-maskable.svg'];

self.addEventListener('install', (event) => {
  event.waitUntil((async () => {
    const cache = await caches.open(SHELL_CACHE);
    await cache.addAll(SHELL.map((path) => new Request(path, { cache: 'no-cache', credentials: 'omit' })));
    await self.skipWaiting();
  })());
});

self.addEventListener('activate', (event) => {
  event.waitUntil((async () => {
    for (const name of await caches.keys()) {
      if (name.startsWith('citycard-shell-') && name !== SHELL_CACHE) await caches.delete(name);
    }
    await self.clients.claim();
  })());
});

const shellUrls = new Set(SHELL.map((path) => new URL(path, self.registration.scope).href));

self.addEventListener('fetch', (event) => {
  const request = event.request;
  if (request.method !== 'GET') return;
  const url = new URL(request.url);
  url.search = '';
  url.hash = '';
  const scope = self.registration.scope;
  const isPage = request.mode === 'navigate' && (url.href === scope || url.href === `${scope}index.html`);
  const key = isPage ? scope : url.href;
  if (!shellUrls.has(key)) return; // lists and config: the page handles them
  // Cache first: the page works the same with or without a network. A new
  // release arrives through a new service worker version.
  event.respondWith((async () => {
    const cache = await caches.open(SHELL_CACHE);
    const hit = await cache.match(key);
    return hit || fetch(request);
  })());
});
