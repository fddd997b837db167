import { defineConfig } from 'vite'

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
    },
  },
})
