// Loaded by the pages that have widgets, between require.js and the widget manager
// (embed-amd.js): see nb_ipywidgets_js in _config.yml.
(function () {
  "use strict";
  // The widget manager loads its icon fonts (Font Awesome) from the folder of its AMD module
  // "@jupyter-widgets/html-manager/dist/...", which require.js would place next to the page, where
  // nothing is. Map it to the site's copy, html-manager/ at the root, next to _static/.
  require.config({
    paths: {
      "@jupyter-widgets/html-manager/dist": new URL("../html-manager", document.currentScript.src).href,
    },
  });

  // ipywidgets typesets the maths in a widget's label with MathJax 2's MathJax.Hub.Queue; the
  // site runs MathJax 3, which has no Hub. Deferred scripts (MathJax) have run by
  // DOMContentLoaded, and the widgets are rendered after it, on "load".
  document.addEventListener("DOMContentLoaded", function () {
    var mathjax = window.MathJax;
    if (!mathjax || !mathjax.startup || mathjax.Hub) {
      return;
    }
    mathjax.Hub = {
      Queue: function (command) {
        var element = command[2];
        mathjax.startup.promise.then(function () {
          return mathjax.typesetPromise([element]);
        });
      },
    };
  });
})();
