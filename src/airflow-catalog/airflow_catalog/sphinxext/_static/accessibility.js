/* A keyboard way into every box that scrolls (airflow_catalog.sphinxext.accessibility).
 *
 * sphinx-rtd-theme gives a code block or a wide table a scroll bar of its own. Without something
 * focusable inside, a reader without a mouse cannot scroll it (WCAG 2.1.1): each one that overflows
 * takes the focus (tabindex=0), and its arrow keys scroll it. Boxes that fit stay out of the tab
 * order. The theme wraps its tables in their scrolling boxes some time after the document is ready,
 * and a box's width changes with the window and the web fonts, so the check runs again whenever a
 * box is added or changes size.
 */
(function () {
  "use strict";

  var SCROLLERS = ".rst-content pre, .rst-content .wy-table-responsive";
  var MARK = "data-catalog-scrollable";
  var resizes = window.ResizeObserver ? new ResizeObserver(function (entries) {
    entries.forEach(function (entry) { update(entry.target); });
  }) : null;

  function update(box) {
    var scrolls = box.scrollWidth > box.clientWidth || box.scrollHeight > box.clientHeight;
    if (scrolls && !box.hasAttribute("tabindex")) {
      box.setAttribute("tabindex", "0");
      box.setAttribute(MARK, "");
    } else if (!scrolls && box.hasAttribute(MARK)) {
      // Only a tabindex this script added is taken away again.
      box.removeAttribute("tabindex");
      box.removeAttribute(MARK);
    }
  }

  function watch(root) {
    var boxes = Array.prototype.slice.call(root.querySelectorAll(SCROLLERS));
    if (root.matches && root.matches(SCROLLERS)) boxes.push(root);
    boxes.forEach(function (box) {
      update(box);
      if (resizes) resizes.observe(box);
    });
  }

  function updateAll() {
    document.querySelectorAll(SCROLLERS).forEach(update);
  }

  watch(document);
  // Mutation callbacks run before the next task: a box is focusable as soon as it exists.
  new MutationObserver(function (mutations) {
    mutations.forEach(function (mutation) {
      mutation.addedNodes.forEach(function (node) {
        if (node.nodeType === Node.ELEMENT_NODE) watch(node);
      });
    });
  }).observe(document.body, { childList: true, subtree: true });
  window.addEventListener("resize", updateAll);
  // The web fonts change how wide a line is once they arrive.
  if (document.fonts && document.fonts.ready) document.fonts.ready.then(updateAll);
})();
