// socket.io with acknowledgements that resolve to the payload or throw the server's Spanish message.
import { io, type Socket } from "socket.io-client";

export type Ack = { ok: boolean; error?: { code: string; message: string } } & Record<string, any>;

export function connect(namespace: string, token: string): Socket {
  return io(namespace, { auth: { token }, transports: ["websocket"] });
}

export async function call<T = Ack>(socket: Socket, event: string, data: unknown): Promise<T> {
  let ack: Ack;
  try {
    ack = await socket.timeout(10000).emitWithAck(event, data);
  } catch {
    throw new Error("Sin respuesta del servidor; intente de nuevo.");
  }
  if (!ack.ok) throw new Error(ack.error?.message ?? "No se pudo completar la acción.");
  return ack as T;
}

export const message = (e: unknown): string => (e instanceof Error ? e.message : String(e));
