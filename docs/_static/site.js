// Sphinx embeds each graphviz SVG as an <object> whose alt text is fallback content, which browsers
// hide from assistive technology once the SVG loads. Give each diagram that text as its accessible name.
document.addEventListener("DOMContentLoaded", () => {
  for (const diagram of document.querySelectorAll("object.graphviz")) {
    const alt = diagram.querySelector("p.warning");
    if (alt && alt.textContent.trim()) {
      diagram.setAttribute("role", "img");
      diagram.setAttribute("aria-label", alt.textContent.trim());
    }
  }
});
