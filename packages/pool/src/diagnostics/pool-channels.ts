import diagnostics from 'node:diagnostics_channel';
import type { PoolEventName } from '../events.ts';

/** The prefix of the plain `diagnostics_channel` channels the pool publishes its events on: `rapsqlite:pool:acquire`… */
export const POOL_CHANNEL_PREFIX = 'rapsqlite:pool:';

const channels = new Map<string, diagnostics.Channel>();

/** The channel of one pool event, made once. */
export function poolChannel(event: PoolEventName): diagnostics.Channel {
  let channel = channels.get(event);
  if (channel === undefined) {
    channel = diagnostics.channel(`${POOL_CHANNEL_PREFIX}${event}`);
    channels.set(event, channel);
  }
  return channel;
}
