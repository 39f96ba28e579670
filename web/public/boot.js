// Applies the saved theme and density before the first paint (no flash of the wrong theme).
// A classic script so it runs before the page renders; the app takes over after that.
(function () {
  try {
    var s = JSON.parse(localStorage.getItem('mu.settings') || '{}');
    var dark = window.matchMedia && matchMedia('(prefers-color-scheme: dark)').matches;
    var theme = s.theme === 'light' || s.theme === 'dark' ? s.theme : dark ? 'dark' : 'light';
    document.documentElement.dataset.theme = theme;
    document.documentElement.style.colorScheme = theme;
    if (s.density === 'compact') document.documentElement.dataset.density = 'compact';
  } catch (e) {
    /* no storage: defaults */
  }
})();
