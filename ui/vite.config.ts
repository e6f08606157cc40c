/// <reference types="vitest/config" />
import { defineConfig } from 'vite';
import { svelte } from '@sveltejs/vite-plugin-svelte';

// The UI is served to the Tauri window from ui/dist (embedded in the binary at compile time).
export default defineConfig(({ mode }) => ({
  plugins: [svelte()],
  clearScreen: false,
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'safari15',
    // One CSS file and no inline styles: the CSP allows styles from 'self' only.
    cssCodeSplit: false,
    assetsInlineLimit: 0,
  },
  // The core's catalogs (../src-tauri/core/i18n) are imported by the UI's.
  server: { port: 5173, strictPort: true, fs: { allow: ['..'] } },
  // Vitest runs in jsdom: resolve Svelte's browser build, not its server build.
  resolve: mode === 'test' ? { conditions: ['browser'] } : undefined,
  test: {
    environment: 'jsdom',
    include: ['src/**/*.test.ts'],
    setupFiles: ['src/test-setup.ts'],
    restoreMocks: true,
  },
}));
