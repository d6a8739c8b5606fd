// Progressive enhancement only: the portal works the same without JavaScript.
(function () {
  "use strict";
  document.addEventListener("DOMContentLoaded", function () {
    // Move focus to the error summary so screen readers announce the errors first.
    var summary = document.getElementById("error-summary");
    if (summary) { summary.focus(); }
    // Error summary links: focus the field itself, not just scroll to it.
    document.querySelectorAll(".error-summary a[href^='#']").forEach(function (link) {
      link.addEventListener("click", function (ev) {
        var target = document.getElementById(link.getAttribute("href").slice(1));
        if (target) { ev.preventDefault(); target.focus(); target.scrollIntoView({ block: "center" }); }
      });
    });
    // Anonymous filings need no personal data: hide those fields while "anónima" is checked.
    var anonymous = document.getElementById("anonimo");
    var block = document.getElementById("datos-ciudadano");
    if (anonymous && block) {
      var sync = function () { block.hidden = anonymous.checked; };
      anonymous.addEventListener("change", sync);
      sync();
    }
  });
})();
