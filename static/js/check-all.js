/* 「すべてにチェックを入れる」 on an import preview's lists of new and renamed items
   (admin/jobs/result_import_preview.html). Every item stays listed to be read; the button only spares
   ticking forty boxes one by one on a plan's first import. Without script it stays hidden. */
"use strict";

document.querySelectorAll("button[data-check-all]").forEach((button) => {
  button.hidden = false;
  button.addEventListener("click", () => {
    button.closest("fieldset").querySelectorAll('input[type="checkbox"]').forEach((box) => {
      box.checked = true;
    });
  });
});
