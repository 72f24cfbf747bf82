/** The alerter's state in Redis, one store per concern (keys in keys.ts). */
import type { RedisClient } from '../../common/queue/connection.js';
import { StoreKeys } from './keys.js';
import { AlertStore } from './alerts.js';
import { GroupStore } from './groups.js';
import { SilenceStore } from './silences.js';
import { DeliveryLog } from './deliveries.js';
import { RecoveryStore } from './recovery.js';
import { ClaimStore } from './claims.js';

export interface AlerterStores {
  alerts: AlertStore;
  groups: GroupStore;
  silences: SilenceStore;
  deliveries: DeliveryLog;
  recovery: RecoveryStore;
  claims: ClaimStore;
}

export function createStores(redis: RedisClient, prefix: string): AlerterStores {
  const keys = new StoreKeys(prefix);
  return {
    alerts: new AlertStore(redis, keys),
    groups: new GroupStore(redis, keys),
    silences: new SilenceStore(redis, keys),
    deliveries: new DeliveryLog(redis, keys),
    recovery: new RecoveryStore(redis, keys),
    claims: new ClaimStore(redis, keys),
  };
}
