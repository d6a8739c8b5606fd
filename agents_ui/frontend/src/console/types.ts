export interface Offer {
  offer_id: number; work_item_id?: number; kind: string; channel: string; queue: string;
  queue_name?: string; expires_at: string; conversation_id?: number | null; ticket_id?: number | null;
  topic?: string | null; radicado?: string | null; subject?: string | null;
}
export interface ChatMessage {
  id: number; conversation_id: number; client_id?: string; sender: string; author?: string | null;
  body: string; internal: boolean; created_at: string;
}
export interface ChatState {
  id: number; workItemId: number | null; channel: string; topic: string | null; state: string;
  messages: ChatMessage[]; history: any; typingAt: number; ended: boolean; radicado: string | null;
}
