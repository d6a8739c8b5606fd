// Softphone state shared by the header (Softphone.vue) and the call panels; the Twilio Voice SDK wiring
// (`voice` module of the twilio branch) updates it: "no conectado" → "listo" → "en llamada".
import { reactive } from "vue";

export const softphone = reactive({ state: "idle" as "idle" | "ready" | "incoming" | "in_call", label: "no conectado" });
export function setSoftphone(state: typeof softphone.state): void {
  softphone.state = state;
  softphone.label = { idle: "no conectado", ready: "listo", incoming: "llamada entrante", in_call: "en llamada" }[state];
}
