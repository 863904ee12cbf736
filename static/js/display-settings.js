/* 文字サイズ and 背景色 (templates/base.html): the reader's choice, kept in this browser's localStorage (no cookie,
   nothing sent to the server), applied as classes on <html>. Loaded in <head> so the page is drawn in the chosen
   size and colours from the start; the buttons show once this script runs (without it, the browser's own zoom
   and the system's contrast setting still apply, see static/css/site.css). */
(function () {
  "use strict";
  var KEY = "reoffense-portal-display";
  var root = document.documentElement;

  function read() {
    try {
      return JSON.parse(window.localStorage.getItem(KEY)) || {};
    } catch (error) {
      return {};
    }
  }

  function save(settings) {
    try {
      window.localStorage.setItem(KEY, JSON.stringify(settings));
    } catch (error) {
      /* Storage refused (a private window): the choice lasts for this page only. */
    }
  }

  function apply(settings) {
    root.classList.toggle("text-large", settings.text === "large");
    root.classList.toggle("contrast-high", settings.contrast === "high");
    root.classList.toggle("contrast-standard", settings.contrast === "standard");
  }

  function current(settings, name) {
    if (settings[name]) {
      return settings[name];
    }
    var systemHigh = name === "contrast" && window.matchMedia && window.matchMedia("(prefers-contrast: more)").matches;
    return systemHigh ? "high" : "standard";
  }

  var settings = read();
  apply(settings);

  document.addEventListener("DOMContentLoaded", function () {
    var tools = document.getElementById("display-settings");
    if (!tools) {
      return;
    }
    var buttons = tools.querySelectorAll("button[data-setting]");
    function mark() {
      buttons.forEach(function (button) {
        var pressed = current(settings, button.dataset.setting) === button.dataset.value;
        button.setAttribute("aria-pressed", pressed ? "true" : "false");
      });
    }
    buttons.forEach(function (button) {
      button.addEventListener("click", function () {
        settings[button.dataset.setting] = button.dataset.value;
        save(settings);
        apply(settings);
        mark();
      });
    });
    mark();
    tools.hidden = false;
  });
})();
