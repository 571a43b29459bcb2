/** The typed face of the `sendToChannel` method that the @moleculer/channels middleware adds to the broker. */
import type { ServiceBroker } from 'moleculer';

interface ChannelsBroker {
  sendToChannel(channelName: string, payload: unknown, opts?: Record<string, unknown>): Promise<void>;
}

export function sendToChannel(broker: ServiceBroker, channelName: string, payload: unknown): Promise<void> {
  return (broker as ServiceBroker & ChannelsBroker).sendToChannel(channelName, payload);
}
