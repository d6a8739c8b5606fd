// Queues and officials by name (the transfer pickers and the offers' queue names), from the server.
import { reactive } from "vue";
import { api } from "../shared/api";

export interface QueueRef { code: string; name: string }
export interface OfficialRef { id: number; name: string; presence: string; presence_label: string; free_chat: number; capacity_chat: number }
export const directory = reactive<{ queues: QueueRef[]; officials: OfficialRef[] }>({ queues: [], officials: [] });

export async function loadDirectory(): Promise<void> {
  const out = await api<{ queues: QueueRef[]; officials: OfficialRef[] }>("/api/v1/console/directory");
  directory.queues = out.queues;
  directory.officials = out.officials;
}
export const queueName = (code: string): string =>
  directory.queues.find((q) => q.code === code)?.name ?? "una cola de atención";
