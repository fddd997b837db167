import { defineConfig } from 'vite'
import { VitePWA } from 'vite-plugin-pwa'

// The browser app. `npm start` serves `dist/` from the signaling server's origin, so the
// client reaches `/signal` on its own origin; `npm run dev` proxies it to a local server.
export default defineConfig({
  build: {
    target: 'es2022',
    outDir: 'dist',
    emptyOutDir: true,
    sourcemap: true,
  },
  server: {
    host: '127.0.0.1',
    proxy: {
      '/signal': { target: 'ws://127.0.0.1:8080', ws: true },
      '/store': { target: 'ws://127.0.0.1:8080', ws: true },
      '/app-config.json': { target: 'http://127.0.0.1:8080' },
    },
  },
  plugins: [
    // Rule OFFLINE-1: after one visit the app shell is cached by a service worker, so the app and
    // every document this browser knows open without a server or network. A new deployment is
    // offered to the user ('prompt'), never swapped in under an open document; documents live in
    // IndexedDB, which the service worker never touches.
    VitePWA({
      registerType: 'prompt',
      injectRegister: false,
      manifest: {
        name: 'Meshpad',
        short_name: 'Meshpad',
        description: 'Peer-to-peer collaborative rich-text editor',
        theme_color: '#1971c2',
        background_color: '#ffffff',
        display: 'standalone',
        icons: [{ src: 'favicon.svg', sizes: 'any', type: 'image/svg+xml', purpose: 'any' }],
      },
      workbox: {
        globPatterns: ['**/*.{js,css,html,svg,webmanifest}'],
        navigateFallback: 'index.html',
        // The server's own endpoints are never answered from the cache.
        navigateFallbackDenylist: [/^\/signal/, /^\/healthz/, /^\/readyz/, /^\/metrics/],
        cleanupOutdatedCaches: true,
      },
    }),
  ],
})
