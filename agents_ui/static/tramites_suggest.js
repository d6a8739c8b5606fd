// Trámites suggested while the citizen writes what they need, before the chat is queued
// (GET /api/v1/tramites?channel=chat&typing=true). Each suggestion opens inside the page with its
// chat answer; "Sí, esto resolvió mi consulta" records the answer as useful and resolved by the
// knowledge base (POST /api/v1/tramites/{slug}/feedback) and the citizen need not wait.
const $ = (id) => document.getElementById(id);
const input = $("consulta");
const list = $("sugerencias-lista");
const box = $("sugerencias");
const status = $("sugerencias-estado");
let timer = null;
let lastQuery = "";
let lastTotal = -1;

function render(items) {
  list.replaceChildren();
  for (const item of items.slice(0, 3)) {
    const li = document.createElement("li");
    const details = document.createElement("details");
    const summary = document.createElement("summary");
    summary.textContent = item.name;
    const answer = document.createElement("p");
    answer.textContent = item.chat_answer;
    const more = document.createElement("p");
    const link = document.createElement("a");
    link.href = item.url;
    link.target = "_blank";
    link.rel = "noopener";
    link.textContent = `Ver la ficha completa de ${item.name} (se abre en otra pestaña)`;
    more.appendChild(link);
    const ask = document.createElement("p");
    const yes = document.createElement("button");
    yes.type = "button";
    yes.className = "resuelto";
    yes.textContent = "Sí, esto resolvió mi consulta";
    yes.addEventListener("click", () => resolved(item.slug, yes));
    ask.append("¿Esto responde su pregunta? ", yes);
    details.append(summary, answer, more, ask);
    li.appendChild(details);
    list.appendChild(li);
  }
  box.hidden = items.length === 0;
}

async function suggest(query, typing) {
  const params = new URLSearchParams({ q: query, channel: "chat" });
  if (typing) params.set("typing", "true");
  const resp = await fetch(`/api/v1/tramites?${params}`).catch(() => null);
  if (!resp || !resp.ok) return null;
  return resp.json();
}

input.addEventListener("input", () => {
  clearTimeout(timer);
  timer = setTimeout(async () => {
    const query = input.value.trim();
    if (query.length < 3) { render([]); status.textContent = ""; return; }
    const body = await suggest(query, true);
    if (!body || input.value.trim() !== query) return;  // a later keystroke will answer
    lastQuery = query;
    lastTotal = body.total;
    render(body.items);
    const shown = Math.min(body.total, 3);
    status.textContent = shown === 0 ? "" : shown === 1 ? "1 trámite sugerido." : `${shown} trámites sugeridos.`;
  }, 300);
});

async function resolved(slug, button) {
  const resp = await fetch(`/api/v1/tramites/${encodeURIComponent(slug)}/feedback`, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ useful: true, channel: "chat", resolved: true }),
  }).catch(() => null);
  if (!resp || !resp.ok) { status.textContent = "No pudimos registrar su respuesta."; return; }
  button.disabled = true;
  status.textContent = "Nos alegra haberle ayudado. No necesita esperar a un funcionario; puede cerrar esta ventana.";
}

// A search that found nothing is logged once, when the citizen goes on to the chat (not per keystroke).
$("form-inicio").addEventListener("submit", () => {
  if (lastTotal === 0 && lastQuery) suggest(lastQuery, false);
});
