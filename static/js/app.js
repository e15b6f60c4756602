// LLM TCO's only script of its own: draws the charts, keeps the form honest, reports failures.
// Loaded with `defer` from our origin; no inline script anywhere (CSP script-src 'self').
(function () {
  "use strict";
  var CONFIG = { displaylogo: false, responsive: true, modeBarButtonsToRemove: ["lasso2d", "select2d"] };

  function drawCharts(root) {
    if (!window.Plotly) return;
    root.querySelectorAll(".chart[data-figure]").forEach(function (el) {
      var fig = JSON.parse(el.getAttribute("data-figure"));
      window.Plotly.react(el, fig.data, fig.layout, CONFIG);
      el.setAttribute("data-drawn", "true");
    });
  }

  // Each field's error slot says whether its input is invalid, for screen readers and the red border.
  function markInvalid(root) {
    root.querySelectorAll("p.error[id^='err-']").forEach(function (slot) {
      var input = document.getElementById("f-" + slot.id.slice(4));
      if (!input) return;
      if (slot.textContent.trim()) input.setAttribute("aria-invalid", "true");
      else input.removeAttribute("aria-invalid");
    });
  }

  // The catalog price behind an override field is its placeholder: it follows the chosen model.
  function placeholders(root) {
    root.querySelectorAll(".hint[id^='hint-']").forEach(function (hint) {
      var input = document.getElementById("f-" + hint.id.slice(5));
      if (input) input.placeholder = hint.getAttribute("data-placeholder") || "empty";
    });
  }

  function banner(text) {
    var el = document.getElementById("banner");
    if (!el) return;
    el.textContent = text;
    el.hidden = !text;
  }

  document.addEventListener("DOMContentLoaded", function () {
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

  // Valid results arrived: no field is in error any more (the server sends error slots only with errors).
  document.addEventListener("htmx:afterSwap", function (event) {
    if (!event.detail.target || event.detail.target.id !== "results") return;
    var xhr = event.detail.xhr;
    if (xhr && xhr.getResponseHeader("HX-Reswap") === "none") return; // the form was invalid
    document.querySelectorAll("#calculator p.error[id^='err-']").forEach(function (slot) { slot.textContent = ""; });
    var formError = document.getElementById("err-form");
    if (formError) formError.textContent = "";
  });
  document.addEventListener("htmx:afterSettle", function (event) {
    drawCharts(event.detail.elt || document);
    markInvalid(document);
    placeholders(document);
  });
  document.addEventListener("htmx:oobAfterSwap", function () { markInvalid(document); });
  document.addEventListener("htmx:afterRequest", function (event) {
    if (event.detail.successful) banner("");
  });
  document.addEventListener("htmx:responseError", function (event) {
    var status = event.detail.xhr ? event.detail.xhr.status : 0;
    banner("The server could not compute this (HTTP " + status + "). Your inputs are kept; the results shown are from the last good computation.");
  });
  document.addEventListener("htmx:sendError", function () {
    banner("The server cannot be reached. Your inputs are kept; try again when it is back.");
  });
})();
