// ChartMuseum web UI: progressive niceties only; every page works without this file.
(function () {
  "use strict";
  document.documentElement.classList.add("js");

  // selects marked data-autosubmit send their form when changed (their button is hidden)
  document.querySelectorAll("select[data-autosubmit]").forEach(function (select) {
    select.addEventListener("change", function () {
      if (select.form) {
        select.form.requestSubmit ? select.form.requestSubmit() : select.form.submit();
      }
    });
  });

  // a Copy button on each command
  if (!navigator.clipboard) {
    return;
  }
  document.querySelectorAll("pre[data-copy]").forEach(function (pre) {
    var button = document.createElement("button");
    var label = pre.getAttribute("aria-labelledby");
    var heading = label ? document.getElementById(label) : null;
    button.type = "button";
    button.className = "quiet copy";
    button.textContent = "Copy";
    button.setAttribute("aria-label", "Copy: " + (heading ? heading.textContent : "command"));
    button.addEventListener("click", function () {
      navigator.clipboard.writeText(pre.querySelector("code").textContent).then(function () {
        button.textContent = "Copied";
        setTimeout(function () { button.textContent = "Copy"; }, 1500);
      });
    });
    pre.appendChild(button);
  });
})();
