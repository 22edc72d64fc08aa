// The long text of a request step saves itself a few seconds after typing stops (htmx:
// the textareas' hx-post, funding.views.autosave). Its answer always goes in the status
// line, a refusal too: a stale version (409) says what someone else saved meanwhile, and
// nothing of the page is lost or replaced.
let submitting = false;

document.addEventListener("submit", function () {
  // The page's own Save carries the text: an autosave racing it would only move the
  // version on under it.
  submitting = true;
});

document.body.addEventListener("htmx:beforeRequest", function (event) {
  if (submitting && event.detail.elt.hasAttribute("data-autosave")) event.preventDefault();
});

document.body.addEventListener("htmx:beforeSwap", function (event) {
  const target = event.detail.target;
  if (target && target.id === "autosave-status" && event.detail.xhr.status >= 400) {
    event.detail.shouldSwap = true;
    event.detail.isError = false;
  }
});
