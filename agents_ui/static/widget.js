// Embeddable chat widget: <script src="https://195.pasto.gov.co/portal/chat/widget.js" defer></script>
// Adds a button that opens the chat page of this server in a panel (an iframe of our own origin,
// so the host page's scripts never see the conversation). Allow the host in ALLOWED_ORIGINS.
(function () {
  const origin = new URL(document.currentScript.src).origin;
  const button = document.createElement("button");
  button.type = "button";
  button.textContent = "Chat con la Alcaldía";
  button.setAttribute("aria-expanded", "false");
  button.style.cssText = "position:fixed;right:1rem;bottom:1rem;z-index:9999;padding:.75rem 1rem;" +
    "background:#0b5394;color:#fff;border:0;border-radius:.5rem;font:inherit;cursor:pointer";
  const frame = document.createElement("iframe");
  frame.title = "Chat con la Alcaldía de Pasto";
  frame.hidden = true;
  frame.style.cssText = "position:fixed;right:1rem;bottom:4.5rem;width:min(380px,95vw);height:min(600px,80vh);" +
    "z-index:9999;border:1px solid #555;border-radius:.5rem;background:#fff";
  button.addEventListener("click", function () {
    if (!frame.src) frame.src = origin + "/portal/chat";
    frame.hidden = !frame.hidden;
    button.setAttribute("aria-expanded", String(!frame.hidden));
  });
  document.body.append(frame, button);
})();
