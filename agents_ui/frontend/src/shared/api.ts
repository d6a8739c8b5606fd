// The HTTP API with the official's token; every failure becomes an Error with the server's Spanish message.
export class ApiError extends Error {
  constructor(message: string, public code: string, public status: number) { super(message); }
}

let token: string | null = null;
export const setToken = (value: string | null): void => { token = value; };
export const getToken = (): string | null => token;

export async function api<T>(path: string, init: { method?: string; body?: unknown } = {}): Promise<T> {
  const headers: Record<string, string> = { Accept: "application/json" };
  if (token) headers.Authorization = `Bearer ${token}`;
  if (init.body !== undefined) headers["Content-Type"] = "application/json";
  let resp: Response;
  try {
    resp = await fetch(path, {
      method: init.method ?? (init.body === undefined ? "GET" : "POST"),
      headers, body: init.body === undefined ? undefined : JSON.stringify(init.body),
    });
  } catch {
    throw new ApiError("No hay conexión con el servidor; intente de nuevo.", "network", 0);
  }
  const data = resp.status === 204 ? null : await resp.json().catch(() => null);
  if (!resp.ok) {
    const err = data?.error ?? {};
    throw new ApiError(err.message ?? "No se pudo completar la acción.", err.code ?? "error", resp.status);
  }
  return data as T;
}

export interface Official { id: number; name: string; role: string }
export interface LoginOut { token: string; official: Official }
export const login = (email: string, password: string) =>
  api<LoginOut>("/api/v1/auth/login", { body: { email, password } });
export const logout = () => api<unknown>("/api/v1/auth/logout", { method: "POST" });
