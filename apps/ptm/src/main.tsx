import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './App.tsx';
import './styles.css';

const root = document.getElementById('root');
if (root === null) throw new Error('no #root element');
createRoot(root).render(
  <StrictMode>
    <App />
  </StrictMode>,
);

// The service worker keeps the app shell for offline use; only under the app's own path (not the dev server root).
if ('serviceWorker' in navigator && location.pathname.startsWith('/ptm/')) {
  void navigator.serviceWorker.register('/ptm/sw.js', { scope: '/ptm/' }).catch(() => undefined);
}
