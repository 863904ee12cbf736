/* A row added to an inline with 「追加」 gets the next 順番・番号: one more than the highest on the page.
   The field is marked data-next-number by the admin (reoffense_portal/machinery/scoping/admin.py); left blank, the
   server numbers the row the same way when saving. */
"use strict";

document.addEventListener("formset:added", (event) => {
  const row = event.target;
  const input = row.querySelector("input[data-next-number]");
  const group = row.closest(".inline-group");
  if (!input || !group || input.value !== "") {
    return;
  }
  const suffix = input.name.slice(input.name.lastIndexOf("-"));
  const numbers = Array.from(group.querySelectorAll(`input[name$="${suffix}"]`))
    .filter((other) => other !== input && !other.name.includes("__prefix__"))
    .map((other) => Number.parseInt(other.value, 10))
    .filter(Number.isFinite);
  input.value = String(numbers.length ? Math.max(...numbers) + 1 : 1);
});
