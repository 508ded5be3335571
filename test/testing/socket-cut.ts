/**
 * Cutting a page's live connection on purpose, as a lost network would, and giving it back: every
 * socket.io request of the page (the HTTP long-polling handshake and the WebSocket) goes through
 * Playwright's routing. While cut, the open WebSocket is closed at both ends and every new attempt
 * fails; the page's HTTP calls to the APIs are left alone. Install before the page opens its socket.
 */
import type { Page, WebSocketRoute } from 'playwright-core';

export interface SocketCut {
  /** Closes the page's open sockets; until `restore`, no new one gets through. */
  cut(): Promise<void>;
  restore(): void;
  /** WebSockets the page opened that reached the server (a reconnect adds one). */
  readonly opened: number;
}

const SOCKET_IO = /\/socket\.io\//;

export async function installSocketCut(page: Page): Promise<SocketCut> {
  let cut = false;
  let opened = 0;
  const open = new Set<{ page: WebSocketRoute; server: WebSocketRoute }>();
  await page.route(SOCKET_IO, (route) => (cut ? route.abort('internetdisconnected') : route.continue()));
  await page.routeWebSocket(SOCKET_IO, (ws) => {
    if (cut) return void ws.close();
    const pair = { page: ws, server: ws.connectToServer() };
    opened++;
    open.add(pair);
    // With an onClose handler Playwright no longer forwards a close to the other end: do it here.
    ws.onClose(() => {
      open.delete(pair);
      pair.server.close().catch(() => undefined);
    });
    pair.server.onClose(() => {
      open.delete(pair);
      ws.close().catch(() => undefined);
    });
  });
  return {
    async cut() {
      cut = true;
      for (const pair of [...open]) {
        open.delete(pair);
        await Promise.all([pair.page.close().catch(() => undefined), pair.server.close().catch(() => undefined)]);
      }
    },
    restore() {
      cut = false;
    },
    get opened() {
      return opened;
    },
  };
}
