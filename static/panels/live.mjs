// The meeting and item pages swap a decision's part in with htmx (the form, its errors,
// the decision recorded): start GOV.UK Frontend's components in what came in and move
// focus there, as a page load would. The error summary and the success banner take
// focus themselves; otherwise the slot that changed does. Polls are left alone.
import { initAll } from "../govuk/govuk-frontend.min.js";

const SLOTS = new Set(["decide-slot", "decision-panel", "decision-errors"]);

document.body.addEventListener("htmx:afterSettle", function (event) {
  const slot = event.target;
  if (!(slot instanceof HTMLElement) || !SLOTS.has(slot.id)) return;
  if (slot.querySelector("[data-module]")) initAll({ scope: slot });
  if (slot.id === "decide-slot" && slot.children.length && !slot.contains(document.activeElement)) {
    slot.focus();
  }
});
