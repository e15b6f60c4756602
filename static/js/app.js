// LLM TCO's only script of its own: draws the charts, keeps the form honest, reports failures.
// Loaded with `defer` from our origin; no inline script anywhere (CSP script-src 'self').
(function () {
  "use strict";
  // Plotly's toolbar covers a phone's chart and its zoom fights the page's scrolling: none below 640px.
  var SMALL = window.matchMedia("(max-width: 640px)");
  var NARROW_PX = 560;  // a chart narrower than this takes its figure's `narrow` layout (app/web/figures.py)

  function config() {
    return { displaylogo: false, responsive: true, modeBarButtonsToRemove: ["lasso2d", "select2d"],
             displayModeBar: SMALL.matches ? false : "hover" };
  }

  // A patch's objects merge into the layout's (arrays by index); its other values replace.
  function merge(target, patch) {
    Object.keys(patch).forEach(function (key) {
      var value = patch[key];
      if (value && typeof value === "object" && target[key] && typeof target[key] === "object") merge(target[key], value);
      else target[key] = value;
    });
    return target;
  }

  function plot(el) {
    var fig = JSON.parse(el.getAttribute("data-figure"));
    var layout = fig.narrow && el.clientWidth < NARROW_PX ? merge(fig.layout, fig.narrow) : fig.layout;
    window.Plotly.react(el, fig.data, layout, config());
    el.setAttribute("data-drawn", "true");
  }

  // A chart is drawn when it can be seen: at once if it is on screen (or within NEAR_PX of it), else
  // as soon as it scrolls near, or in the browser's idle time once typing has paused for QUIET_MS, one
  // chart per idle callback: a keystroke never waits behind a chart nobody is looking at
  // (bench/pages.py times the keystroke to the charts in view). Printing draws every one first.
  var NEAR_PX = 300;
  var QUIET_MS = 700;
  var waiting = [];
  var idleQueued = false;
  var lastInput = 0;
  ["keydown", "input"].forEach(function (name) {
    document.addEventListener(name, function () { lastInput = Date.now(); }, true);
  });
  var near = "IntersectionObserver" in window ? new IntersectionObserver(function (entries) {
    entries.forEach(function (entry) {
      if (entry.isIntersecting) drawNow(entry.target);
    });
  }, { rootMargin: NEAR_PX + "px 0px" }) : null;
  function drawNow(el) {
    if (near) near.unobserve(el);
    var at = waiting.indexOf(el);
    if (at >= 0) waiting.splice(at, 1);
    if (el.isConnected && el.getAttribute("data-drawn") !== "true") plot(el);
  }
  function onScreen(el) {
    var box = el.getBoundingClientRect();
    return box.bottom >= -NEAR_PX && box.top <= window.innerHeight + NEAR_PX;
  }
  function drawIdle() {
    if (idleQueued || !waiting.length) return;
    idleQueued = true;
    var idle = window.requestIdleCallback || function (f) { return setTimeout(f, 0); };
    setTimeout(function () {
      idle(function () {
        idleQueued = false;
        if (Date.now() - lastInput >= QUIET_MS && waiting.length) drawNow(waiting[0]);
        drawIdle();
      }, { timeout: 1000 });
    }, Math.max(0, lastInput + QUIET_MS - Date.now()));
  }
  function drawCharts(root, all) {
    if (!window.Plotly) return;
    root.querySelectorAll(".chart[data-figure]").forEach(function (el) {
      if (el.getAttribute("data-drawn") === "true") return;
      if (all || !near || onScreen(el)) { drawNow(el); return; }
      if (waiting.indexOf(el) < 0) waiting.push(el);
      near.observe(el);
    });
    drawIdle();
  }
  window.addEventListener("beforeprint", function () { drawCharts(document, true); });

  // An input is invalid when an error slot it is described by holds a message (a range's low is
  // described by its own slot and by its range's); a message in a folded group or range unfolds it.
  function markInvalid(root) {
    root.querySelectorAll("input[aria-describedby], select[aria-describedby], textarea[aria-describedby]").forEach(function (input) {
      var invalid = input.getAttribute("aria-describedby").split(" ").some(function (id) {
        if (id.indexOf("err-") !== 0) return false;
        var slot = document.getElementById(id);
        return slot && slot.textContent.trim() !== "";
      });
      if (invalid) input.setAttribute("aria-invalid", "true");
      else input.removeAttribute("aria-invalid");
    });
    root.querySelectorAll("p.error[id^='err-']").forEach(function (slot) {
      if (!slot.textContent.trim()) return;
      for (var d = slot.closest("details"); d; d = d.parentElement && d.parentElement.closest("details")) d.open = true;
    });
  }

  // The catalog price behind an override field is its placeholder: it follows the chosen model.
  function placeholders(root) {
    root.querySelectorAll(".hint[id^='hint-']").forEach(function (hint) {
      var input = document.getElementById("f-" + hint.id.slice(5));
      if (input) input.placeholder = hint.getAttribute("data-placeholder") || "empty";
    });
  }

  function escapeHtml(text) {
    var div = document.createElement("div");
    div.textContent = text;
    return div.innerHTML;
  }

  // A range the page sent folded has no inputs yet: they come from #range-template when it unfolds.
  function fillRange(details) {
    var template = document.getElementById("range-template");
    if (!template || details.querySelector("input")) return;
    var key = details.id.slice("range-".length);
    var path = key.split("__").join(".");
    var hidden = details.querySelector("summary .visually-hidden");
    var label = hidden ? hidden.textContent.replace(/^ of /, "") : path;
    var html = template.innerHTML.split("ranges.@P@.").join("ranges." + path + ".")
      .split("@P@").join(key).split("@L@").join(escapeHtml(label));
    details.insertAdjacentHTML("beforeend", html);
  }

  function banner(text) {
    var el = document.getElementById("banner");
    if (!el) return;
    el.textContent = text;
    el.hidden = !text;
  }

  // The uncertainty panel arrived: its line beside the verdict, a range's message beside the range.
  function panelArrived(section) {
    section.setAttribute("aria-busy", "false");
    var body = section.querySelector(".uncertainty-body");
    if (!body) return;
    var line = document.getElementById("verdict-uncertainty-text");
    var text = body.getAttribute("data-verdict-line");
    if (line && text) line.textContent = text;
    var errors = JSON.parse(body.getAttribute("data-errors") || "{}");
    Object.keys(errors).forEach(function (id) {
      var slot = document.getElementById(id);
      if (slot) slot.textContent = errors[id];
    });
    markInvalid(document);
  }

  // A phone's summary bar (templates/_summary_bar.html) steps aside while the answer itself is in view;
  // a recompute replaces the bar, so the state lives here and is applied again after each swap.
  var answerInView = false;
  function syncSummaryBar() {
    var bar = document.getElementById("summary-bar");
    if (bar) bar.classList.toggle("answer-in-view", answerInView);
  }
  function watchAnswer() {
    var answer = document.getElementById("answer");
    if (!answer || !document.getElementById("summary-bar") || !("IntersectionObserver" in window)) return;
    new IntersectionObserver(function (entries) {
      answerInView = entries[entries.length - 1].isIntersecting;
      syncSummaryBar();
    }, { rootMargin: "0px 0px -96px 0px" }).observe(answer);
  }

  document.addEventListener("DOMContentLoaded", function () {
    watchAnswer();
    drawCharts(document);
    markInvalid(document);
    var preset = document.getElementById("preset");
    if (preset && preset.form) {
      preset.addEventListener("change", function () { preset.form.requestSubmit(); });
    }
    document.querySelectorAll("[data-confirm]").forEach(function (form) {
      form.addEventListener("submit", function (event) {
        if (!window.confirm(form.getAttribute("data-confirm"))) event.preventDefault();
      });
    });
  });
  window.addEventListener("load", function () { drawCharts(document); });

  // Your own cost lines: "Add a cost line" copies #extra-cost-template under the next free row number
  // and focuses its name; "Remove" takes the row out, puts the focus back on "Add", and recomputes.
  document.addEventListener("click", function (event) {
    var add = event.target.closest("[data-add-extra]");
    var remove = event.target.closest("[data-remove-extra]");
    var rows = document.getElementById("extra-cost-rows");
    if (!rows || !(add || remove)) { return; }
    if (add) {
      var next = 0;
      rows.querySelectorAll("[data-row]").forEach(function (r) { next = Math.max(next, Number(r.dataset.row) + 1); });
      var template = document.getElementById("extra-cost-template");
      rows.insertAdjacentHTML("beforeend", template.innerHTML.split("@R@").join(String(next)));
      var row = rows.lastElementChild;
      if (window.htmx) { htmx.process(row); }
      row.querySelector("input[type=text]").focus();
      return;
    }
    remove.closest("[data-row]").remove();
    var again = document.querySelector("[data-add-extra]");
    if (again) { again.focus(); }
    var form = document.getElementById("calculator");
    if (form) { form.dispatchEvent(new Event("input", { bubbles: true })); }
  });
  // The pick list of API models to compare: "Add a model to compare" copies #candidate-template under
  // the next free row number and focuses its picker (at most 12 rows; an emptied row is unused).
  document.addEventListener("click", function (event) {
    var add = event.target.closest && event.target.closest("[data-add-candidate]");
    var rows = document.getElementById("candidate-rows");
    if (!add || !rows) { return; }
    var next = 0;
    rows.querySelectorAll("[data-candidate]").forEach(function (r) { next = Math.max(next, Number(r.dataset.candidate) + 1); });
    if (rows.children.length >= 12) { return; }
    var template = document.getElementById("candidate-template");
    rows.insertAdjacentHTML("beforeend", template.innerHTML.split("@R@").join(String(next)));
    var row = rows.lastElementChild;
    if (window.htmx) { htmx.process(row); }
    row.querySelector("input[type=text]").focus();
    if (rows.children.length >= 12) { add.disabled = true; }
  });
  // A click on a folded range's summary (Enter and Space click it too) fills it at once, so the next
  // Tab lands in its low; toggle, which fires later and does not bubble, covers an unfolding by script.
  document.addEventListener("click", function (event) {
    var summary = event.target.closest && event.target.closest("details.input-range > summary");
    if (summary) fillRange(summary.parentElement);
  });
  document.addEventListener("toggle", function (event) {
    var el = event.target;
    if (el.matches && el.matches("details.input-range") && el.open) fillRange(el);
  }, true);

  // A recompute swaps the results, charts included: the charts already drawn are taken out of the old
  // results before the swap (htmx would otherwise walk every node of their SVG to clean it up) and put
  // back into the new results in place of their empty elements, where a changed figure is redrawn in
  // place with Plotly.react (re-creating a plot costs a browser most of a recompute). The uncertainty
  // panel's charts wait here for the panel, which arrives a moment later; charts not taken back are purged.
  var kept = {};
  function purgeKept() {
    Object.keys(kept).forEach(function (id) {
      if (window.Plotly) window.Plotly.purge(kept[id]);
      delete kept[id];
    });
  }
  document.addEventListener("htmx:beforeSwap", function (event) {
    var target = event.detail.target;
    var xhr = event.detail.xhr;
    if (!target || target.id !== "results" || !event.detail.shouldSwap) return;
    if (xhr && xhr.getResponseHeader("HX-Reswap") === "none") return;  // an invalid form: nothing is replaced
    target.querySelectorAll(".chart[data-drawn='true'][id]").forEach(function (el) {
      if (kept[el.id] && kept[el.id] !== el && window.Plotly) window.Plotly.purge(kept[el.id]);
      kept[el.id] = el;
      el.remove();
    });
    // The rest of the old results leaves now too: htmx would fire an event on each of their nodes to
    // clean it up, and nothing in them is bound outside them. A panel still running is stopped first.
    var panel = target.querySelector(".uncertainty[aria-busy='true']");
    if (panel && window.htmx) window.htmx.trigger(panel, "htmx:abort");
    target.replaceChildren();
  });
  function keepCharts(root, panelComing) {
    root.querySelectorAll(".chart[data-figure][id]").forEach(function (fresh) {
      var old = kept[fresh.id];
      if (!old) return;
      delete kept[fresh.id];
      var figure = fresh.getAttribute("data-figure");
      var plotted = old.classList.contains("js-plotly-plot");  // plotly.js's own class: its styles hang on it
      old.classList.remove("js-plotly-plot");
      // a new figure, or a new class (a chart's height comes with its class): drawn again, in place,
      // once the swap settles; else the drawing is kept as it is
      if (old.getAttribute("data-figure") !== figure || old.className !== fresh.className) {
        old.setAttribute("data-figure", figure);
        old.removeAttribute("data-drawn");
      }
      old.setAttribute("aria-label", fresh.getAttribute("aria-label"));
      old.className = fresh.className;
      if (plotted) old.classList.add("js-plotly-plot");
      fresh.replaceWith(old);
    });
    if (!panelComing) purgeKept();
  }

  document.addEventListener("htmx:afterSwap", function (event) {
    var target = event.detail.target;
    if (!target) return;
    if (target.classList.contains("uncertainty")) { keepCharts(target, false); panelArrived(target); return; }
    if (target.id !== "results") return;
    keepCharts(target, !!target.querySelector(".uncertainty[aria-busy='true']"));
    // Valid results arrived: no field is in error any more (the server sends error slots only with errors).
    var xhr = event.detail.xhr;
    if (xhr && xhr.getResponseHeader("HX-Reswap") === "none") return; // the form was invalid
    document.querySelectorAll("#calculator p.error[id^='err-']").forEach(function (slot) { slot.textContent = ""; });
    var formError = document.getElementById("err-form");
    if (formError) formError.textContent = "";
  });
  // Results replaced while their uncertainty panel was still running: stop waiting for it.
  document.addEventListener("htmx:beforeCleanupElement", function (event) {
    var el = event.target;
    if (el.classList && el.classList.contains("uncertainty") && el.getAttribute("aria-busy") === "true" && window.htmx) {
      window.htmx.trigger(el, "htmx:abort");
    }
  });
  document.addEventListener("htmx:afterSettle", function (event) {
    // After settling: htmx gives a swapped element its old attributes until then (for transitions).
    if (event.detail.target && event.detail.target.id === "seed-report") {  // show the filled ranges
      document.querySelectorAll("details.input-range.filled").forEach(function (d) {
        var group = d.closest("details.group");
        if (group) group.open = true;
      });
    }
    drawCharts(event.detail.elt || document);
    // htmx fires this once per element swapped in (a recompute's results are a score of them): the
    // page-wide passes run once, when the last has settled.
    if (settleQueued) return;
    settleQueued = true;
    queueMicrotask(function () {
      settleQueued = false;
      markInvalid(document);
      placeholders(document);
      syncSummaryBar();
    });
  });
  var settleQueued = false;
  // An invalid form comes back as every error slot out of band, and htmx fires this event once per slot
  // swapped so far after each one (n^2 events for n slots): scan the form once, after the last of them.
  var markQueued = false;
  document.addEventListener("htmx:oobAfterSwap", function () {
    if (markQueued) return;
    markQueued = true;
    setTimeout(function () { markQueued = false; markInvalid(document); }, 0);
  });
  document.addEventListener("htmx:afterRequest", function (event) {
    if (event.detail.successful) banner("");
  });
  document.addEventListener("htmx:responseError", function (event) {
    var status = event.detail.xhr ? event.detail.xhr.status : 0;
    var elt = event.detail.elt;
    if (elt && elt.classList.contains("uncertainty")) {
      elt.setAttribute("aria-busy", "false");
      var running = elt.querySelector(".running");
      if (running) running.textContent = "The uncertainty panel could not be computed (HTTP " + status + ").";
    }
    if (status === 503) {
      banner("The database is unavailable right now; the app reconnects by itself. Your inputs are kept: try again in a few seconds.");
      return;
    }
    banner("The server could not compute this (HTTP " + status + "). Your inputs are kept; the results shown are from the last good computation.");
  });
  document.addEventListener("htmx:sendError", function () {
    banner("The server cannot be reached. Your inputs are kept; try again when it is back.");
  });
})();
