import { createApp } from 'vue';
import App from './App.vue';
import './style.css';
import { warmServiceWorker } from './lib/api';
import { loadFirstAnswers, loadPreloadedBoards, updateReady } from './lib/store';

loadFirstAnswers();
loadPreloadedBoards();
createApp(App).mount('#app');

// The service worker (production builds only): app shell + last API answers for offline use.
if (import.meta.env.PROD && 'serviceWorker' in navigator) {
  // Answers fetched before the worker took control are handed to it once it does. A worker
  // replacing another one means a new version of the app was deployed: offer a reload.
  let hadController = navigator.serviceWorker.controller !== null;
  navigator.serviceWorker.addEventListener('controllerchange', () => {
    if (hadController) updateReady.value = true;
    hadController = true;
    warmServiceWorker();
  });
  window.addEventListener('load', () => {
    navigator.serviceWorker
      .register(`${import.meta.env.BASE_URL}sw.js`)
      .then((registration) => {
        // A page kept open all day still learns about new deployments.
        const check = () => void registration.update().catch(() => undefined);
        setInterval(check, 60 * 60 * 1000);
        document.addEventListener('visibilitychange', () => {
          if (document.visibilityState === 'visible') check();
        });
      })
      .catch(() => {
        // no service worker (private mode, plain http): the app works online only
      });
  });
}
