import mqtt, { type MqttClient } from 'mqtt';

export interface RecordedMessage {
  topic: string;
  text: string;
  retain: boolean;
}

/**
 * Subscribes to topics and records every message, with its retain flag as published
 * (MQTT v5 retain-as-published). `sync()` makes assertions about "nothing else arrived"
 * exact: the broker delivers in order, so once our own marker is back, everything
 * published before it has been seen.
 */
export class MqttRecorder {
  readonly messages: RecordedMessage[] = [];
  private waiters: Array<{ match: (m: RecordedMessage) => boolean; resolve: (m: RecordedMessage) => void }> = [];
  private markers = 0;

  private constructor(private readonly client: MqttClient) {
    client.on('message', (topic, payload, packet) => {
      const m = { topic, text: payload.toString(), retain: packet.retain };
      if (!topic.startsWith('test/marker/')) this.messages.push(m);
      this.waiters = this.waiters.filter((w) => (w.match(m) ? (w.resolve(m), false) : true));
    });
  }

  /** MQTT v5 by default; v4 (3.1.1) for brokers without v5, where live messages lose the retain flag. */
  static async connect(url: string, topics: string[], protocolVersion: 4 | 5 = 5): Promise<MqttRecorder> {
    const client = await mqtt.connectAsync(url, { protocolVersion, reconnectPeriod: 0 });
    const recorder = new MqttRecorder(client);
    await client.subscribeAsync([...topics, 'test/marker/#'], protocolVersion === 5 ? { qos: 1, rap: true } : { qos: 1 });
    return recorder;
  }

  /** Resolves with the first message (already recorded or future) that matches. */
  waitFor(match: (m: RecordedMessage) => boolean, timeoutMs = 20_000): Promise<RecordedMessage> {
    const seen = this.messages.find(match);
    if (seen) return Promise.resolve(seen);
    return this.waitForNext(match, timeoutMs);
  }

  /** Resolves with the first future message that matches. */
  waitForNext(match: (m: RecordedMessage) => boolean, timeoutMs = 20_000): Promise<RecordedMessage> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('timed out waiting for an MQTT message')), timeoutMs);
      this.waiters.push({ match, resolve: (m) => (clearTimeout(timer), resolve(m)) });
    });
  }

  async sync(): Promise<void> {
    const topic = `test/marker/${++this.markers}`;
    const arrived = this.waitFor((m) => m.topic === topic);
    await this.client.publishAsync(topic, 'x', { qos: 1 });
    await arrived;
  }

  on(topic: string): RecordedMessage[] {
    return this.messages.filter((m) => m.topic === topic);
  }

  async close(): Promise<void> {
    await this.client.endAsync();
  }
}
