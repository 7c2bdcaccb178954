// VRRPv3's timers (RFC 5798 §6.1) with keepalived 2.2.7's arithmetic, for the core to use once it
// speaks v3 (fsm.ts has v2's). In v3 they scale with Master_Adver_Interval: the interval of the
// master's adverts, which a backup adopts (docs/reference/keepalived-behaviour.md#receiving-a-v3-advert).
import type { Millis, Priority } from '../types.js';

/**
 * Skew_Time = ((256 − Priority) × Master_Adver_Interval) / 256. keepalived (`VRRP_TIMER_SKEW_CALC`
 * in vrrp.h) computes it in whole microseconds as (256 − P) × interval_cs × 625 / 16, truncated:
 * 625 / 16 is 10 000 µs per centisecond over 256, reduced so the product fits 32 bits. With the
 * effective priority, as in v2.
 */
export function skewTimeMsV3(priority: Priority, masterAdverIntCs: number): Millis {
  return Math.floor(((256 - priority) * masterAdverIntCs * 625) / 16) / 1000;
}

/** Master_Down_Interval = down_timer_adverts (3) × Master_Adver_Interval + Skew_Time (`VRRP_MS_DOWN_TIMER`). */
export function masterDownIntervalMsV3(downTimerAdverts: number, masterAdverIntCs: number, priority: Priority): Millis {
  return downTimerAdverts * masterAdverIntCs * 10 + skewTimeMsV3(priority, masterAdverIntCs);
}
