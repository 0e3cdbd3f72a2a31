import type { MqttClient } from 'mqtt';

/**
 * Turns Nagle's algorithm off on the client's TCP (or TLS) connection. persona sends bursts of
 * small packets (a switch is an event and three state messages; a request, its answer): with
 * Nagle on, each burst after the first waits for the broker's delayed ACK, about 40 ms, which
 * was most of a request's round trip. Call it after every (re)connect: each has a new socket.
 */
export function sendWithoutDelay(client: MqttClient): void {
  const stream = client.stream as { setNoDelay?: (noDelay: boolean) => unknown } | undefined;
  stream?.setNoDelay?.(true);
}
