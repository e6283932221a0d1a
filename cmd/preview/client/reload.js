// eblog preview: reload this page when its content changes, keeping the scroll position, and
// show the build's problems over it. Served only by the preview (python -m cmd.preview).
(() => {
  "use strict";
  const script = document.currentScript;
  const here = location.pathname;
  const scrollKey = "eblog-preview-scroll:";

  function restoreScroll() {
    const saved = sessionStorage.getItem(scrollKey + here);
    if (saved === null) return;
    const [x, y] = saved.split(",").map(Number);
    window.scrollTo(x, y);
    // Images and fonts can still move things: once they are in, the same place again.
    window.addEventListener("load", () => {
      window.scrollTo(x, y);
      sessionStorage.removeItem(scrollKey + here);
    }, { once: true });
  }

  function reload(location_) {
    const target = location_ || here;
    sessionStorage.setItem(scrollKey + target, window.scrollX + "," + window.scrollY);
    if (location_) window.location.assign(location_);
    else window.location.reload();
  }

  function showProblems(lines) {
    let overlay = document.getElementById("eblog-preview-problems");
    if (lines.length === 0) {
      if (overlay) overlay.remove();
      return;
    }
    if (!overlay) {
      overlay = document.createElement("section");
      overlay.id = "eblog-preview-problems";
      overlay.setAttribute("role", "alert");
      overlay.setAttribute("aria-label", "The site does not build");
      document.body.append(overlay);
    }
    const heading = document.createElement("p");
    heading.className = "eblog-preview-heading";
    heading.textContent = "The site does not build; the last good version is shown. Save a fix and this goes away.";
    const list = document.createElement("ul");
    for (const line of lines) {
      const item = document.createElement("li");
      item.textContent = line;
      list.append(item);
    }
    overlay.replaceChildren(heading, list);
  }

  history.scrollRestoration = "manual"; // this script keeps the place, on reloads and on moves alike
  restoreScroll();
  const query = "?path=" + encodeURIComponent(here) + "&version=" + encodeURIComponent(script.dataset.version);
  const events = new EventSource("/__preview/events" + query);
  events.addEventListener("reload", (message) => {
    events.close();
    reload(JSON.parse(message.data).location);
  });
  events.addEventListener("problems", (message) => showProblems(JSON.parse(message.data).lines));
})();
