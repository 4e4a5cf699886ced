// The pipeline board. Dropping a card on another column picks that stage in the card's own
// "Move to…" form and sends it, so a drag, the keyboard and a phone all take the same path
// through the server's rules. The server answers with the moved card, or with the reasons it
// refused (shown above the board) and the card goes back where it came from.
(function () {
  "use strict";

  const REFUSALS = [403, 409, 422]; // answers that carry a message for the user
  let pending = null; // the dragged card and where it came from, until the server answers

  function alertArea() {
    return document.getElementById("board-alert");
  }

  function columnFor(stage) {
    return document.querySelector(`[data-board-column][data-stage="${CSS.escape(stage)}"]`);
  }

  function moveForm(card) {
    return card.querySelector("form.deal-move");
  }

  function putBack(card, from, next) {
    from.insertBefore(card, next && next.parentNode === from ? next : null);
  }

  function makeSortable(column) {
    if (typeof Sortable === "undefined" || Sortable.get(column)) {
      return; // without the library the "Move to…" forms still work
    }
    Sortable.create(column, {
      group: "pipeline",
      draggable: ".deal-card",
      filter: "a, select, button, input, label",
      preventOnFilter: false, // the card's link and form stay usable
      delay: 200,
      delayOnTouchOnly: true, // a finger scrolls the board; a long press drags
      animation: 150,
      onStart(event) {
        pending = { card: event.item, from: event.from, next: event.item.nextElementSibling };
      },
      onEnd(event) {
        const form = moveForm(event.item);
        if (event.from === event.to || !form) {
          // Order inside a column is by close date; a drop there changes nothing.
          putBack(event.item, pending.from, pending.next);
          pending = null;
          return;
        }
        form.elements.stage.value = event.to.dataset.stage;
        form.requestSubmit();
      },
    });
  }

  // A card that comes back from the server goes to the column of its stage (after a move
  // made with its form, it is still in the old column).
  function placeCard(card) {
    const column = columnFor(card.dataset.stage);
    if (column && card.parentElement !== column) {
      column.prepend(card);
    }
    if (pending && pending.card.dataset.deal === card.dataset.deal) {
      pending = null;
    }
  }

  htmx.onLoad(function (root) {
    if (root.matches && root.matches("[data-board-column]")) {
      makeSortable(root);
    }
    root.querySelectorAll("[data-board-column]").forEach(makeSortable);
    if (root.matches && root.matches(".deal-card")) {
      placeCard(root);
    }
  });

  // A refusal is an answer, not a failure: show its message (the server retargets it above
  // the board) instead of dropping it as htmx does with 4xx responses.
  document.addEventListener("htmx:beforeSwap", function (event) {
    const source = event.detail.requestConfig && event.detail.requestConfig.elt;
    if (!source || !source.matches(".deal-move")) {
      return;
    }
    if (REFUSALS.includes(event.detail.xhr.status)) {
      event.detail.shouldSwap = true;
      event.detail.isError = false;
    }
  });

  document.addEventListener("htmx:afterRequest", function (event) {
    const form = event.detail.elt;
    const status = event.detail.xhr ? event.detail.xhr.status : 0;
    if (!(form instanceof HTMLFormElement) || !form.matches(".deal-move")) {
      return;
    }
    if (status >= 200 && status < 300) {
      return;
    }
    const card = form.closest(".deal-card");
    if (pending && pending.card === card) {
      putBack(card, pending.from, pending.next);
    }
    pending = null;
    form.elements.stage.value = card.dataset.stage;
    const area = alertArea();
    if (!REFUSALS.includes(status)) {
      const alert = document.createElement("div");
      alert.className = "alert alert-danger";
      alert.setAttribute("role", "alert");
      alert.textContent = area.dataset.failed;
      area.replaceChildren(alert);
    }
    area.scrollIntoView({ block: "nearest" });
  });
})();
