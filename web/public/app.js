// Placeholder page until the web app lands: renders every board with textContent only
// (titles are untrusted) and links only http/https URLs.
const safeUrl = (u) => { try { const x = new URL(u); return /^https?:$/.test(x.protocol) ? x.href : null; } catch { return null; } };
async function load() {
  const main = document.getElementById('boards');
  const cat = await (await fetch('/api/v1/boards')).json();
  main.replaceChildren();
  for (const b of cat.boards) {
    const sec = document.createElement('section');
    const h = document.createElement('h2');
    h.textContent = b.name + ' · ' + b.site;
    const when = document.createElement('small');
    when.textContent = b.fetched_at ? new Date(b.fetched_at).toLocaleTimeString() : '—';
    h.append(when);
    sec.append(h);
    if (b.error) {
      const s = document.createElement('div');
      s.className = 'stale';
      s.textContent = '⚠ ' + b.error.code + ': ' + b.error.message;
      sec.append(s);
    }
    const ol = document.createElement('ol');
    sec.append(ol);
    main.append(sec);
    fetch('/api/v1/boards/' + encodeURIComponent(b.id)).then(r => r.json()).then(d => {
      for (const it of d.items.slice(0, 15)) {
        const li = document.createElement('li');
        const r = document.createElement('span'); r.className = 'r'; r.textContent = it.rank;
        const a = document.createElement('a'); a.textContent = it.title; a.target = '_blank'; a.rel = 'noopener noreferrer';
        const u = safeUrl(it.url); if (u) a.href = u;
        const hot = document.createElement('span'); hot.className = 'h'; hot.textContent = it.hot_text || '';
        li.append(r, a, hot);
        ol.append(li);
      }
    });
  }
}
load();
