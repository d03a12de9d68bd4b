// An explorer's slider bound to the page's URL, both ways (lrlab.plot.explorers.Explorer, url_state=...):
// `#KEY=value` in the URL chooses the slider's position when the page opens (the nearest of `values`), and
// moving the slider writes its value back, so that a link can open the explorer at a given value.
// Checked by `node --check` (tests/test_plot.py) and run in a real browser by `make browser-check`.
"use strict";

function lrlabUrlState(result, values, key, signal) {
  function fromUrl() {
    var found = location.hash.match(new RegExp("[#&]" + key + "=([^&]+)"));
    var wanted = found ? parseFloat(decodeURIComponent(found[1])) : NaN;
    if (!(wanted > 0)) return;
    var best = 0;
    values.forEach(function (v, i) {
      if (Math.abs(Math.log(v / wanted)) < Math.abs(Math.log(values[best] / wanted))) best = i;
    });
    result.view.signal(signal, best).runAsync();
  }
  fromUrl();
  window.addEventListener("hashchange", fromUrl);
  result.view.addSignalListener(signal, function (name, i) {
    var hash = "#" + key + "=" + values[i].toExponential(1);
    try {
      history.replaceState(null, "", hash);
    } catch (e) {
      location.hash = hash;
    }
  });
}
