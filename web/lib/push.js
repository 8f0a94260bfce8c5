// LiveChat push in deployed stages: the API Gateway WebSocket. Each pushed
// message makes the page read what is new (the same call as polling), so
// push and polling share one path and nothing is shown twice.

import { currentToken } from './session.js';

export function openPush(websocketUrl, chat, onMessage) {
  const url = new URL(websocketUrl);
  const token = currentToken();
  if (token) url.searchParams.set('token', token);
  let socket;
  try {
    socket = new WebSocket(url);
  } catch {
    return null;
  }
  socket.addEventListener('open', () => {
    const subscribe = { action: 'subscribe', session_id: chat.sessionId };
    if (chat.sessionToken) subscribe.session_token = chat.sessionToken;
    socket.send(JSON.stringify(subscribe));
  });
  socket.addEventListener('message', (event) => {
    try {
      if (JSON.parse(event.data).type === 'message') onMessage();
    } catch {
      // Not ours: ignore.
    }
  });
  return { close: () => socket.close() };
}

/**
 * An advisor's console following the queue: `onChange` runs each time a chat
 * joins or leaves it (the console then reads the queue, as when polling).
 */
export function openQueuePush(websocketUrl, onChange) {
  const url = new URL(websocketUrl);
  const token = currentToken();
  if (token) url.searchParams.set('token', token);
  let socket;
  try {
    socket = new WebSocket(url);
  } catch {
    return null;
  }
  socket.addEventListener('open', () => socket.send(JSON.stringify({ action: 'follow_queue' })));
  socket.addEventListener('message', (event) => {
    try {
      if (JSON.parse(event.data).type === 'queue') onChange();
    } catch {
      // Not ours: ignore.
    }
  });
  return { close: () => socket.close() };
}
