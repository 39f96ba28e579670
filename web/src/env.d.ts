/// <reference types="vite/client" />

interface ImportMetaEnv {
  /** Origin of the Mu API for a separate deployment ("" = same origin). */
  readonly VITE_API_BASE?: string;
}
interface ImportMeta {
  readonly env: ImportMetaEnv;
}

declare module '*.vue' {
  import type { DefineComponent } from 'vue';
  const component: DefineComponent<object, object, unknown>;
  export default component;
}
