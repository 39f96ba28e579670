// Vite config for Mu's web app. Besides Vue it has one small plugin that writes dist/sw.js
// from sw/sw.js with the precache list (every emitted file plus public/) and a version hash.
import { createHash } from 'node:crypto';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineConfig, type Plugin } from 'vite';
import vue from '@vitejs/plugin-vue';

const root = fileURLToPath(new URL('.', import.meta.url));

function listFiles(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...listFiles(p));
    else out.push(relative(join(root, 'public'), p).split('\\').join('/'));
  }
  return out;
}

function serviceWorker(): Plugin {
  return {
    name: 'mu-service-worker',
    apply: 'build',
    generateBundle(_options, bundle) {
      const files = new Set<string>(['./']);
      for (const name of Object.keys(bundle)) {
        if (name.endsWith('.map') || name === 'sw.js') continue;
        files.add(name === 'index.html' ? './' : name);
      }
      for (const name of listFiles(join(root, 'public'))) files.add(name);
      const list = [...files].sort();
      const template = readFileSync(join(root, 'sw/sw.js'), 'utf8');
      const version = createHash('sha256')
        .update(template)
        .update(list.join('\n'))
        .update(Object.values(bundle).map((b) => b.fileName).join('\n'))
        .digest('hex')
        .slice(0, 12);
      const source = template
        .replace("'__MU_PRECACHE__'", JSON.stringify(list))
        .replace('__MU_VERSION__', version);
      this.emitFile({ type: 'asset', fileName: 'sw.js', source });
    },
  };
}

/** An API on another origin (VITE_API_BASE): boot.js must not preload same-origin answers. */
function preloadMeta(): Plugin {
  return {
    name: 'mu-preload-meta',
    transformIndexHtml(html) {
      if (!(process.env.VITE_API_BASE ?? '').replace(/\/+$/, '')) return html;
      return html.replace(/\s*<!-- the API is on this origin[^>]*-->\s*<meta name="mu-preload"[^>]*>/, '');
    },
  };
}

export default defineConfig({
  plugins: [vue(), serviceWorker(), preloadMeta()],
  // Every component is <script setup>: Vue's Options API support is left out of the bundle.
  define: { __VUE_OPTIONS_API__: 'false' },
  build: {
    target: 'es2020',
    assetsInlineLimit: 0,
    reportCompressedSize: true,
  },
  server: {
    // `npm run dev` talks to a running mu (default 127.0.0.1:8080; MU_API=http://host:port).
    proxy: {
      '/api': { target: process.env.MU_API ?? 'http://127.0.0.1:8080', changeOrigin: true },
    },
  },
});
