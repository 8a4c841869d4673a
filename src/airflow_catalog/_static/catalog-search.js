/* The search page of airflow_catalog.search_ext: Pagefind's UI over this version's bundle, and on a
 * published tree a scope switch that merges the bundles of every other published version.
 *
 * The published tree holds one folder per version and versions.json at its root (see versions.js).
 * The list of versions is read at run time, so "all published versions" includes versions published
 * after this one was built. A build that is not published (no folder named after its version) asks
 * for no versions.json and shows no switch.
 */
(function () {
  "use strict";

  var script = document.currentScript;
  var builtAs = script ? script.getAttribute("data-catalog-version") || "" : "";
  var contentRoot = document.documentElement.getAttribute("data-content_root") || "./";
  var versionRoot = new URL(contentRoot, location.href);
  var siteRoot = new URL("../", versionRoot);
  var folder = decodeURIComponent(versionRoot.pathname.slice(siteRoot.pathname.length).replace(/\/$/, ""));
  var scope = document.getElementById("catalog-search-scope");
  var holder = document.getElementById("catalog-search");
  var query = new URLSearchParams(location.search).get("q") || "";
  var others = [];

  function versionOf(url) {
    var path = new URL(url, location.href).pathname.slice(siteRoot.pathname.length);
    return decodeURIComponent(path.split("/")[0]);
  }

  // Results of other versions say which version they come from.
  function labelVersion(result) {
    var version = versionOf(result.url);
    if (version && version !== folder && result.meta) {
      result.meta.title = (result.meta.title || result.url) + " \u2014 " + version;
    }
    return result;
  }

  function restart(allVersions) {
    // Every UI of the page shares the one Pagefind instance of pagefind.js, which keeps the indexes
    // merged into it: drop it, so that "this version" after "all" searches this version only.
    import(new URL("pagefind/pagefind.js", versionRoot).href)
      .then(function (pagefind) { return pagefind.destroy(); })
      .then(function () { start(allVersions); });
  }

  function start(allVersions) {
    var input = holder.querySelector("input");
    if (input) query = input.value;
    // Pagefind's UI has no way to change its indexes once made: a fresh element gets a fresh UI.
    var element = document.createElement("div");
    element.id = "catalog-search";
    holder.replaceWith(element);
    holder = element;
    var options = {
      element: element,
      showSubResults: true,
      showImages: false,
      resetStyles: false,
      openFilters: ["kind"],
      showEmptyFilters: false,
      // Pagefind's default waits 300 ms after each keystroke; its index chunks answer far sooner.
      debounceTimeoutMs: 0,
      autofocus: true,
    };
    if (allVersions) {
      options.mergeIndex = others.map(function (name) {
        var base = new URL(name + "/", siteRoot).pathname;
        return { bundlePath: base + "pagefind/", baseUrl: base, indexWeight: 0.8 };
      });
      options.processResult = labelVersion;
    }
    var ui = new PagefindUI(options);
    if (query) ui.triggerSearch(query);
  }

  function offerScope(entries) {
    var current = entries.find(function (entry) {
      return entry.version === folder || (entry.aliases || []).indexOf(folder) >= 0;
    });
    if (!current) return;
    var names = entries
      .map(function (entry) { return entry.version; })
      .filter(function (name) { return name !== current.version; });
    // A version published before search existed has no bundle: leave it out rather than fail.
    return Promise.all(
      names.map(function (name) {
        return fetch(new URL(name + "/pagefind/pagefind-entry.json", siteRoot).href, { method: "HEAD" }).then(
          function (response) { return response.ok ? name : null; },
          function () { return null; }
        );
      })
    ).then(function (found) {
      others = found.filter(Boolean);
      scope.querySelector(".catalog-search-current").textContent = current.title;
      scope.hidden = false;
      scope.addEventListener("change", function (event) {
        restart(event.target.value === "all");
      });
    });
  }

  if (typeof PagefindUI === "undefined") {
    // Sphinx alone writes this page; the index comes from the step after it.
    holder.textContent =
      "This site has no search index: build it with `make docs` (python -m airflow_catalog build), " +
      "which indexes the pages after Sphinx.";
    holder.className = "admonition warning catalog-search-missing";
    return;
  }
  start(false);
  if (location.protocol === "file:" || !folder || (folder !== builtAs && folder !== "stable" && folder !== "latest")) {
    return;
  }
  fetch(new URL("versions.json", siteRoot).href, { cache: "no-cache" })
    .then(function (response) { return response.ok ? response.json() : []; })
    .then(offerScope)
    .catch(function () {
      // Without versions.json this version's own search still works.
    });
})();
