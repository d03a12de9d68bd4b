// An explorer's slider bound to the page's URL, both ways (lrlab.plot.explorers.Explorer, url_state=...):
// `#KEY=value` in the URL chooses the slider's position when the page opens (the nearest of `values`), and
// moving the slider writes its value back, so that a link can open the explorer at a given value. An explorer
// with a selector (group = {key, signal, options}, given as [key, signal, options]) keeps its choice beside it:
// `#lr=1.0e-3&optimizer=sgd`.
// Checked by `node --check` (tests/test_plot.py) and run in a real browser by `make browser-check`.
"use strict";

function lrlabUrlState(result, values, key, signal, group) {
  function fromHash(name) {
    var found = location.hash.match(new RegExp("[#&]" + name + "=([^&]+)"));
    return found ? decodeURIComponent(found[1]) : null;
  }
  function fromUrl() {
    var wanted = parseFloat(fromHash(key));
    if (group) {
      var chosen = fromHash(group[0]);
      if (chosen !== null && group[2].indexOf(chosen) >= 0) result.view.signal(group[1], chosen);
    }
    if (wanted > 0) {
      var best = 0;
      values.forEach(function (v, i) {
        if (Math.abs(Math.log(v / wanted)) < Math.abs(Math.log(values[best] / wanted))) best = i;
      });
      result.view.signal(signal, best);
    }
    result.view.runAsync();
  }
  function toUrl() {
    var hash = "#" + key + "=" + values[result.view.signal(signal)].toExponential(1);
    if (group) hash += "&" + group[0] + "=" + encodeURIComponent(result.view.signal(group[1]));
    try {
      history.replaceState(null, "", hash);
    } catch (e) {
      location.hash = hash;
    }
  }
  fromUrl();
  window.addEventListener("hashchange", fromUrl);
  result.view.addSignalListener(signal, toUrl);
  if (group) result.view.addSignalListener(group[1], toUrl);
}
