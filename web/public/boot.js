// Runs before the first paint (a classic script in <head>; external because the CSP forbids
// inline scripts). Two jobs:
// 1. Applies the saved theme and density (no flash of the wrong theme).
// 2. On the home page, starts the requests the app makes first while its script is still
//    downloading: the sites, the board list and the boards of the first screenful, in the
//    reader's order (else the biggest boards), except what the server already wrote into the
//    page (the #mu-first block). They are <link rel="preload" as="fetch">; the
//    app's own fetches of the same URLs get these answers. Only when the build serves the API
//    from this origin (the mu-preload meta) and not in large catalogue mode's board list.
(function () {
  var s = {};
  try {
    s = JSON.parse(localStorage.getItem('mu.settings') || '{}') || {};
    var dark = window.matchMedia && matchMedia('(prefers-color-scheme: dark)').matches;
    var theme = s.theme === 'light' || s.theme === 'dark' ? s.theme : dark ? 'dark' : 'light';
    document.documentElement.dataset.theme = theme;
    document.documentElement.style.colorScheme = theme;
    if (s.density === 'compact') document.documentElement.dataset.density = 'compact';
  } catch (e) {
    /* no storage: defaults */
  }
  try {
    var route = location.hash.replace(/^#\/?/, '');
    if (!document.querySelector('meta[name="mu-preload"]') || (route !== '' && route.charAt(0) !== '?')) return;
    // Added to <head> together at the end (one insertion, not one per link).
    var links = document.createDocumentFragment();
    var add = function (href) {
      var link = document.createElement('link');
      link.rel = 'preload';
      link.as = 'fetch';
      link.crossOrigin = 'anonymous';
      link.href = href;
      links.appendChild(link);
    };
    var large = false;
    try {
      large = localStorage.getItem('mu.catalogue') === 'large';
    } catch (e) {
      /* no storage: small */
    }
    // The server may have written the first answers into the page (store.ts's
    // loadFirstAnswers): those are not asked for again.
    var first = document.getElementById('mu-first');
    if (first && !first.textContent) first = null;
    var written = {};
    var ids = first ? (first.getAttribute('data-boards') || '').split(',') : [];
    for (var k = 0; k < ids.length; k++) written[ids[k]] = true;
    if (!first || large) {
      add('/api/v1/sites');
      // store.ts: LARGE_CATALOGUE + 1
      if (!large) add('/api/v1/boards?limit=301');
    }
    // settings.ts: DEFAULT_FIRST (a test checks they agree)
    var biggest = ['weibo.hot-search', 'zhihu.hot', 'baidu.realtime', 'douyin.hot', 'toutiao.hot', 'bilibili.popular', 'bilibili.hot-search'];
    var hidden = {};
    var list = Array.isArray(s.hidden) ? s.hidden : [];
    for (var i = 0; i < list.length; i++) hidden[list[i]] = true;
    var own = Array.isArray(s.order) && s.order.length > 0;
    // A new reader's first boards are in the page already: nothing more to ask for, and no
    // window size to read (reading it lays the page out before the app has drawn anything).
    var order = own ? s.order : first ? [] : biggest;
    // HomeView.vue: FIRST_CARDS (the cards of the first render)
    var n = order.length ? Math.max(1, Math.floor(window.innerWidth / 340)) * Math.max(1, Math.ceil((window.innerHeight + 400 - 120) / 420)) : 0;
    for (var j = 0; j < order.length && n > 0; j++) {
      var id = order[j];
      if (typeof id !== 'string' || hidden[id] || !/^[a-z0-9-]+\.[a-z0-9-]+$/.test(id)) continue;
      if (!written[id] || large) add('/api/v1/boards/' + id);
      n--;
    }
    document.head.appendChild(links);
  } catch (e) {
    /* the app asks for everything itself */
  }
})();
