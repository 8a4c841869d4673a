/* The search page of airflow_catalog.sphinxext.search: Pagefind's UI over this version's bundle, and on a
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

  var UI_OPTIONS = {
    showSubResults: true,
    showImages: false,
    resetStyles: false,
    openFilters: ["kind"],
    showEmptyFilters: false,
    // Pagefind's default waits 300 ms after each keystroke; its index chunks answer far sooner. Not 0:
    // keys typed in a burst would each start a search that loads its own results' fragments, and the
    // last query waited behind them (up to 170 ms on the amazon catalog; 60 ms with 25, bench_search).
    debounceTimeoutMs: 25,
    autofocus: true,
  };
  var scopes = {};
  var shown = null;

  function bundleOf(root) {
    return { bundlePath: root.pathname + "pagefind/", baseUrl: root.pathname };
  }

  // The UIs of one page share the Pagefind instance of one pagefind.js URL, and an instance keeps
  // every index merged into it. So "all versions" is a second UI whose primary bundle is another
  // version's (another URL, another instance) with this version merged in, made once and kept.
  function create(allVersions) {
    var element = document.createElement("div");
    var options = Object.assign({ element: element }, UI_OPTIONS);
    if (allVersions && others.length) {
      var roots = others.map(function (name) { return new URL(name + "/", siteRoot); });
      var primary = bundleOf(roots[0]);
      Object.assign(options, primary, { indexWeight: 0.8, processResult: labelVersion });
      options.mergeIndex = [Object.assign(bundleOf(versionRoot), { indexWeight: 1 })].concat(
        roots.slice(1).map(function (root) { return Object.assign(bundleOf(root), { indexWeight: 0.8 }); })
      );
    }
    return { element: element, ui: new PagefindUI(options) };
  }

  function show(allVersions) {
    var key = allVersions && others.length ? "all" : "version";
    if (shown === key) return;
    var input = holder.querySelector(".pagefind-ui__search-input");
    if (input) query = input.value;
    if (!scopes[key]) scopes[key] = create(allVersions);
    // Swapped, not hidden: only the UI in use is in the page.
    holder.replaceChildren(scopes[key].element);
    shown = key;
    if (query) scopes[key].ui.triggerSearch(query);
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
    // GET, not HEAD: the entry file is tiny, and some stores answer HEAD by other rules than GET.
    return Promise.all(
      names.map(function (name) {
        return fetch(new URL(name + "/pagefind/pagefind-entry.json", siteRoot).href).then(
          function (response) { return response.ok ? name : null; },
          function () { return null; }
        );
      })
    ).then(function (found) {
      others = found.filter(Boolean);
      scope.querySelector(".catalog-search-current").textContent = current.title;
      scope.hidden = false;
      scope.addEventListener("change", function (event) {
        show(event.target.value === "all");
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
  show(false);
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
