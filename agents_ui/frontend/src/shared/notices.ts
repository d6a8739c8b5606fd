// Visible confirmations and errors (a toast list that is also announced), never only a hidden region.
import { reactive } from "vue";

export interface Notice { id: number; kind: "ok" | "error" | "info"; text: string }
export const notices = reactive<Notice[]>([]);
let next = 1;

export function notify(kind: Notice["kind"], text: string, ms = kind === "error" ? 12000 : 6000): void {
  const id = next++;
  notices.push({ id, kind, text });
  window.setTimeout(() => dismiss(id), ms);
}
export function dismiss(id: number): void {
  const at = notices.findIndex((n) => n.id === id);
  if (at >= 0) notices.splice(at, 1);
}
export const ok = (text: string) => notify("ok", text);
export const fail = (text: string) => notify("error", text);
