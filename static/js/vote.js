// Vote and take back without reloading the page. Without JavaScript the form posts
// and the server sends the visitor back, so this only improves what already works.
(function () {
  "use strict";
  if (window.voteFormsBound) return;  // pages may load this file more than once
  window.voteFormsBound = true;

  const VOTE = "Vote";
  const VOTED = "Voted \u2713 (take back)";

  function say(form, message, isError) {
    const status = form.querySelector(".vote-status");
    if (!status) return;
    status.textContent = message;
    status.classList.toggle("error", Boolean(isError));
  }

  function show(form, body) {
    const button = form.querySelector(".vote-button");
    const box = form.closest(".vote");
    form.action = body.voted ? form.dataset.unvoteUrl : form.dataset.voteUrl;
    button.textContent = body.voted ? VOTED : VOTE;
    button.classList.toggle("voted", body.voted);
    button.setAttribute("aria-pressed", String(body.voted));
    const title = button.getAttribute("aria-label").replace(/^(Take back your vote for|Vote for) /, "");
    button.setAttribute("aria-label", (body.voted ? "Take back your vote for " : "Vote for ") + title);
    const count = box.querySelector("[data-vote-count]");
    if (count && typeof body.votes === "number") {
      count.textContent = body.votes;
      const noun = box.querySelector("[data-vote-noun]");
      if (noun) noun.textContent = body.votes === 1 ? "vote" : "votes";
    }
    const left = box.querySelector("[data-votes-left]");
    if (left && typeof body.votes_left === "number") left.textContent = body.votes_left;
    say(form, body.voted ? "Your vote counts." : "Your vote is taken back.");
  }

  async function send(form) {
    const button = form.querySelector(".vote-button");
    button.disabled = true;
    try {
      const response = await fetch(form.action, {
        method: "POST",
        body: new FormData(form),
        headers: { Accept: "application/json" },
        credentials: "same-origin",
      });
      if (response.status === 401) {
        window.location.assign(form.dataset.loginUrl);
        return;
      }
      const body = await response.json().catch(() => ({}));
      if (response.ok) show(form, body);
      else say(form, (body.error && body.error.message) || "That did not work; try again.", true);
    } catch (error) {
      say(form, "No connection; try again.", true);
    } finally {
      button.disabled = false;
    }
  }

  document.addEventListener("submit", function (event) {
    const form = event.target.closest && event.target.closest("form.vote-form");
    if (!form || !window.fetch) return;
    event.preventDefault();
    send(form);
  });
})();
