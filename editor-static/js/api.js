// The admin API client: every request the editor makes to the runtime goes
// through here, so the admin token and error shapes are handled in one place.
// Paths are relative to the page, which is served at the admin root.

const TOKEN_KEY = "flowgate.adminToken";

/** An error answer from the admin API, with its status and parsed body. */
export class ApiError extends Error {
  constructor(status, body, fallback) {
    const message = (body && (body.message || body.error)) || fallback || `HTTP ${status}`;
    super(message);
    this.status = status;
    this.body = body;
    this.code = body && body.code;
  }
}

let loginHandler = null;

/** Register the function asked for credentials when the runtime answers 401. */
export function onLoginRequired(handler) {
  loginHandler = handler;
}

export function adminToken() {
  return localStorage.getItem(TOKEN_KEY) || "";
}

export function setAdminToken(token) {
  if (token) localStorage.setItem(TOKEN_KEY, token);
  else localStorage.removeItem(TOKEN_KEY);
}

async function send(method, path, body, headers) {
  const h = { Accept: "application/json", ...headers };
  const token = adminToken();
  if (token) h.Authorization = `Bearer ${token}`;
  let payload;
  if (body !== undefined) {
    if (body instanceof URLSearchParams) {
      payload = body;
    } else {
      h["Content-Type"] = "application/json";
      payload = JSON.stringify(body);
    }
  }
  return fetch(path, { method, headers: h, body: payload, cache: "no-store" });
}

async function parse(res) {
  const text = await res.text();
  if (!text) return null;
  try {
    return JSON.parse(text);
  } catch {
    return { message: text };
  }
}

/**
 * One admin API call. Answers 2xx with the parsed JSON body (or null);
 * throws ApiError otherwise. A 401 asks the login handler once and retries.
 */
export async function request(method, path, { body, headers } = {}) {
  let res = await send(method, path, body, headers);
  if (res.status === 401 && loginHandler) {
    const ok = await loginHandler();
    if (ok) res = await send(method, path, body, headers);
  }
  const data = await parse(res);
  if (!res.ok) throw new ApiError(res.status, data, res.statusText);
  return data;
}

const V2 = { "Node-RED-API-Version": "v2" };

/** `context/global`, or `context/{flow|node}/{id}`. */
function contextPath(scope, id) {
  return scope === "global" ? "context/global" : `context/${scope}/${encodeURIComponent(id)}`;
}

export const api = {
  /** `{rev, flows}` of the deployed flows. */
  getFlows: () => request("GET", "flows", { headers: V2 }),
  /**
   * Deploy the whole set of flows; `type` is Node-RED's deployment type
   * (`full`, `flows`: restart the changed flows, `nodes`: only the changed
   * nodes). Answers `{rev}`.
   */
  deploy: (rev, flows, type = "full") =>
    request("POST", "flows", {
      body: rev ? { rev, flows } : { flows },
      headers: { ...V2, "Node-RED-Deployment-Type": type },
    }),
  /** Node-RED's "Restart Flows": restart the deployed flows, no body. */
  restartFlows: () => request("POST", "flows", { headers: { ...V2, "Node-RED-Deployment-Type": "reload" } }),
  /** Node-RED's context of one scope: `{<store>: {<key>: {msg, format}}}`. */
  getContext: (scope, id) => request("GET", contextPath(scope, id)),
  /** Delete one key of a scope's context in `store`. */
  deleteContext: (scope, id, key, store) =>
    request("DELETE", `${contextPath(scope, id)}/${encodeURIComponent(key)}?store=${encodeURIComponent(store)}`),
  /**
   * What deploy would refuse in a function body or JSONata expression:
   * `{problems: [{line, column, endLine, endColumn, severity, message}]}`.
   */
  checkCode: (req) => request("POST", "function/check", { body: req }),
  /** Node-RED's examples library: the modules with example flows. */
  exampleModules: () => request("GET", "library/examples/flows/"),
  /** A module's examples: `[{fn, title?, description?}]`. */
  examples: (module) => request("GET", `library/examples/flows/${encodeURIComponent(module)}`),
  /** One example flow (its nodes, or `{rev, flows}`). */
  example: (module, name) => request("GET", `library/examples/flows/${encodeURIComponent(module)}/${encodeURIComponent(name)}`),
  /** Node types with their palette and editor definitions. */
  getNodes: () => request("GET", "nodes"),
  getSettings: () => request("GET", "settings"),
  jwtConfigs: () => request("GET", "jwt/configs"),
  generateToken: (config, claims) => request("POST", "jwt/console/generate", { body: { config, claims } }),
  verifyToken: (config, token) => request("POST", "jwt/console/verify", { body: { config, token } }),
  /** How the runtime wants users to log in (`{type, prompts}` or `{}`). */
  loginScheme: () => request("GET", "auth/login"),
  /** Exchange a user name and password for an admin token (Node-RED's OAuth form). */
  login: async (username, password) => {
    const form = new URLSearchParams({
      client_id: "node-red-admin",
      grant_type: "password",
      scope: "*",
      username,
      password,
    });
    const res = await fetch("auth/token", { method: "POST", body: form });
    const data = await parse(res);
    if (!res.ok) throw new ApiError(res.status, data, "login failed");
    return data.access_token;
  },
};

/**
 * Live runtime events over the `/comms` WebSocket: subscribes to debug
 * messages and node status, reconnects with back-off, and reports the
 * connection state so the page can show it.
 */
export function connectComms({ onEvent, onState }) {
  let ws = null;
  let delay = 500;
  let closed = false;
  const open = () => {
    // Relative to the page, so the editor works under any admin root.
    const url = new URL("comms", location.href);
    url.protocol = url.protocol === "https:" ? "wss:" : "ws:";
    ws = new WebSocket(url);
    ws.addEventListener("open", () => {
      delay = 500;
      const token = adminToken();
      if (token) ws.send(JSON.stringify({ auth: token }));
      ws.send(JSON.stringify({ subscribe: "debug" }));
      ws.send(JSON.stringify({ subscribe: "status/#" }));
      onState && onState("connected");
    });
    ws.addEventListener("message", (e) => {
      let data;
      try {
        data = JSON.parse(e.data);
      } catch {
        return;
      }
      for (const ev of Array.isArray(data) ? data : [data]) {
        if (ev && ev.topic) onEvent(ev.topic, ev.data);
      }
    });
    ws.addEventListener("close", () => {
      onState && onState("disconnected");
      if (closed) return;
      setTimeout(open, delay);
      delay = Math.min(delay * 2, 10000);
    });
  };
  open();
  return {
    close() {
      closed = true;
      ws && ws.close();
    },
    /** Subscribe again: the runtime replays its retained events for `topic`. */
    subscribe(topic) {
      if (ws && ws.readyState === WebSocket.OPEN) ws.send(JSON.stringify({ subscribe: topic }));
    },
  };
}
